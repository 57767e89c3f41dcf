import { ExportError, ForbiddenError, RateLimitedError } from '../errors.js';
import type { CreateJobResult, ExportJobs, NewExportJob } from '../jobs/export-jobs.js';
import type { ExportQueue } from '../jobs/export-queue.js';
import { jobFailure } from '../jobs/failure-reasons.js';
import type { AuditLog } from './audit-log.js';
import type { Principal } from './auth.js';
import type { RateLimitDecision, RateLimiter, RateLimitState } from './rate-limit.js';

/**
 * Runs an access check; a refusal is audited (`denied`, who, what) before the 403 propagates.
 * `exportType` is the export kind or, for other routes, the resource (`jobs`, `metrics`…).
 */
export async function guard(
  audit: AuditLog,
  principal: Principal,
  what: { readonly exportType: string; readonly jobId?: string; readonly details?: Record<string, unknown> },
  check: () => void,
): Promise<void> {
  try {
    check();
  } catch (error) {
    if (!(error instanceof ForbiddenError)) throw error;
    await audit.record({
      userId: principal.userId,
      exportType: what.exportType,
      action: 'denied',
      status: 'refused',
      jobId: what.jobId ?? null,
      details: { ...what.details, reason: error.message, roles: principal.roles },
    });
    throw error;
  }
}

type RateLimitDeps = { readonly rateLimiter: RateLimiter; readonly audit: AuditLog };

/**
 * Counts one export-creating request against the caller's window, or audits the refusal and
 * throws a 429 with the seconds until a slot frees.
 */
export async function enforceRateLimit(
  deps: RateLimitDeps,
  principal: Principal,
  exportType: string,
  details: Record<string, unknown> = {},
): Promise<RateLimitDecision> {
  const decision = await deps.rateLimiter.consume(principal.userId);
  if (decision.allowed) return decision;
  return refuseRateLimited(deps, principal, exportType, details, decision);
}

/**
 * Refuses a request whose caller has no slot left, without counting anything, before the request
 * does any work of its own; `enforceRateLimit` still counts it (and decides races) afterwards.
 */
export async function assertRateLimitAllows(
  deps: RateLimitDeps,
  principal: Principal,
  exportType: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  const state = await deps.rateLimiter.peek(principal.userId);
  if (state.remaining > 0) return;
  await refuseRateLimited(deps, principal, exportType, details, state);
}

async function refuseRateLimited(
  deps: RateLimitDeps,
  principal: Principal,
  exportType: string,
  details: Record<string, unknown>,
  decision: RateLimitState,
): Promise<never> {
  await deps.audit.record({
    userId: principal.userId,
    exportType,
    action: 'rate_limited',
    status: 'refused',
    details: {
      ...details,
      limit: decision.limit,
      windowSeconds: decision.windowSeconds,
      retryAfterSeconds: decision.retryAfterSeconds,
    },
  });
  throw new RateLimitedError(decision.retryAfterSeconds, {
    limit: decision.limit,
    remaining: 0,
    resetAt: decision.nextAvailableAt.toISOString(),
  });
}

export interface SubmitJobDeps {
  readonly jobs: ExportJobs;
  readonly queue: ExportQueue;
  readonly audit: AuditLog;
}

/**
 * Puts `{jobId}` on the queue. When that fails the job is marked `failed` with a retryable
 * `enqueue_failed` error (so it is never left `queued` without a message), the failure is audited,
 * and the caller gets a 503 naming the job.
 */
export async function enqueueJob(
  deps: SubmitJobDeps,
  principal: Principal,
  jobId: string,
  exportType: string,
  details: Record<string, unknown>,
): Promise<void> {
  try {
    await deps.queue.enqueue({ jobId });
  } catch (cause) {
    const error = jobFailure('enqueue_failed', true);
    await deps.jobs.markEnqueueFailed(jobId, error).catch(() => {});
    await deps.audit
      .record({
        userId: principal.userId,
        exportType,
        action: 'failed',
        status: 'error',
        jobId,
        details: { ...details, error },
      })
      .catch(() => {});
    throw new ExportError(
      'dependency_unavailable',
      'the export queue is unavailable; retry the request',
      503,
      {
        retryable: true,
        cause,
        details: { jobId, status: 'failed' },
      },
    );
  }
}

/**
 * Inserts a job and puts its message on the queue, auditing the request.
 *
 * Why not an outbox: the queue is the only consumer trigger, and an outbox needs a relay (a poller
 * or a stream) that would be one more moving part in AWS and locally. Instead the job is inserted
 * first and enqueued second; if the enqueue fails, the job is marked `failed` with a retryable
 * `enqueue_failed` error (visible on `GET /jobs/{id}`), its idempotency key is released so the
 * client's retry creates a fresh job, and the client gets a 503. If the enqueue did reach the queue
 * after all (a timeout after SQS accepted it), the worker's conditional claim skips the failed job,
 * so nothing runs twice. The only window left is the process dying between the two calls, which
 * leaves a `queued` job without a message; it is visible and cancellable, and `sweepStaleJobs`
 * re-enqueues it once it has been queued for the grace period (messages are idempotent).
 */
export async function submitJob(
  deps: SubmitJobDeps,
  principal: Principal,
  job: NewExportJob,
  details: Record<string, unknown> = {},
): Promise<CreateJobResult> {
  const created = await deps.jobs.create(job);
  if (!created.created) return created;
  const { kind, format, tables } = created.job;
  await enqueueJob(deps, principal, created.job.id, kind, details);
  await deps.audit.record({
    userId: principal.userId,
    exportType: kind,
    action: 'request',
    status: 'accepted',
    jobId: created.job.id,
    details: { ...details, format, tables },
  });
  return created;
}
