import { guard } from '../access/api-guards.js';
import type { AuditLog } from '../access/audit-log.js';
import { assertAdmin, type Principal } from '../access/auth.js';
import type { RateLimiter, RateLimitState } from '../access/rate-limit.js';
import type { ExportJobs, JobMetrics } from './export-jobs.js';

/** Default `since` of `GET /metrics`: the last 24 hours. */
export const DEFAULT_METRICS_WINDOW_MS = 24 * 3600 * 1000;

/** `GET /metrics` (admins): job aggregates since `since` (default: the last 24 hours). */
export interface MetricsDeps {
  readonly jobs: ExportJobs;
  readonly audit: AuditLog;
  readonly now: () => Date;
}

export interface LimitsDeps {
  readonly rateLimiter: RateLimiter;
}

export async function getMetrics(deps: MetricsDeps, principal: Principal, since?: Date): Promise<JobMetrics> {
  await guard(deps.audit, principal, { exportType: 'metrics' }, () => assertAdmin(principal));
  return deps.jobs.metrics(since ?? new Date(deps.now().getTime() - DEFAULT_METRICS_WINDOW_MS));
}

export interface LimitsView {
  readonly limit: number;
  readonly remaining: number;
  readonly windowSeconds: number;
  readonly resetAt: string;
  readonly nextAvailableAt: string;
}

/** `GET /limits`: the caller's export-request window, read without counting. */
export async function getLimits(deps: LimitsDeps, principal: Principal): Promise<LimitsView> {
  const state: RateLimitState = await deps.rateLimiter.peek(principal.userId);
  return {
    limit: state.limit,
    remaining: state.remaining,
    windowSeconds: state.windowSeconds,
    resetAt: state.resetAt.toISOString(),
    nextAvailableAt: state.nextAvailableAt.toISOString(),
  };
}
