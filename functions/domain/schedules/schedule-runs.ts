import { enforceRateLimit, enqueueJob, guard } from '../access/api-guards.js';
import type { AuditLog } from '../access/audit-log.js';
import { assertAdmin, type Principal } from '../access/auth.js';
import type { RateLimiter } from '../access/rate-limit.js';
import { EARLIEST_DATE, isInDateRange } from '../catalogue/date-bounds.js';
import { ConflictError, ValidationError } from '../errors.js';
import type { ExportJob, JobStatus } from '../jobs/export-job.js';
import type { ExportJobs } from '../jobs/export-jobs.js';
import type { ExportQueue } from '../jobs/export-queue.js';
import type { JobLeases } from '../jobs/job-leases.js';
import { nextRunTimes, toEventBridgeCron } from './eventbridge-cron.js';
import { getSchedule, SCHEDULES, windowFor } from './schedule-catalogue.js';
import { scheduledJobInput, utcDay } from './scheduled-job.js';

/** One catalogue entry as `GET /schedules` shows it. */
export interface ScheduleView {
  readonly name: string;
  readonly description: string;
  readonly cron: string;
  readonly eventBridgeExpression: string;
  readonly format: string;
  readonly compression: string;
  /** `s3://bucket/prefix/`; the service bucket when the catalogue names none. */
  readonly destination: string;
  readonly lookbackDays: number;
  /** The next run times (UTC, ISO 8601). */
  readonly nextRuns: readonly string[];
}

export interface ScheduleDeps {
  readonly audit: AuditLog;
  readonly bucket: string;
  readonly now: () => Date;
}

/** `GET /schedules` (admins): the catalogue with its next `count` run times. */
export async function listSchedules(
  deps: ScheduleDeps,
  principal: Principal,
  count = 3,
): Promise<ScheduleView[]> {
  await guard(deps.audit, principal, { exportType: 'schedules' }, () => assertAdmin(principal));
  const now = deps.now();
  return SCHEDULES.map((def) => ({
    name: def.name,
    description: def.description,
    cron: def.cron,
    eventBridgeExpression: toEventBridgeCron(def.cron),
    format: def.format,
    compression: def.compression,
    destination: `s3://${def.destination.bucket ?? deps.bucket}/${def.destination.prefix}`,
    lookbackDays: def.lookbackDays,
    nextRuns: nextRunTimes(def.cron, now, count).map((d) => d.toISOString()),
  }));
}

export interface RunScheduleDeps extends ScheduleDeps {
  readonly leases: JobLeases;
  readonly jobs: ExportJobs;
  readonly queue: ExportQueue;
  readonly rateLimiter: RateLimiter;
}

export interface RunScheduleInput {
  readonly name: string;
  /** `YYYY-MM-DD` (UTC) to backfill; today when absent. */
  readonly date?: string;
  /** Rerun a date whose run already completed (its object is replaced). */
  readonly force?: boolean;
}

const DAY_MS = 86_400_000;

/**
 * The scheduled time of a run on `date`: that day at the cron's first time of day (`0 1 * * *` on
 * 2024-05-01 → 2024-05-01T01:00Z), also for a weekly cron on another weekday, so a backfill of any
 * date exports the window the cron would have exported on that date.
 */
export function scheduledTimeOn(cron: string, date: string): Date {
  const midnight = Date.parse(`${date}T00:00:00.000Z`);
  if (Number.isNaN(midnight)) throw ValidationError.field('date', 'must be a date YYYY-MM-DD');
  const [first] = nextRunTimes(cron, new Date(midnight - 1), 1);
  const timeOfDay = first ? first.getTime() - Math.floor(first.getTime() / DAY_MS) * DAY_MS : 0;
  return new Date(midnight + timeOfDay);
}

/**
 * `POST /schedules/{name}/run` (admins): runs a schedule now or for a past date through the same
 * queue and worker as the cron. Rate-limited and audited. A completed date is a 409 unless `force`.
 */
export async function runSchedule(
  deps: RunScheduleDeps,
  principal: Principal,
  input: RunScheduleInput,
): Promise<ExportJob> {
  await guard(deps.audit, principal, { exportType: 'scheduled', details: { schedule: input.name } }, () =>
    assertAdmin(principal),
  );
  const def = getSchedule(input.name);
  const today = deps.now().toISOString().slice(0, 10);
  const date = input.date ?? today;
  if (date > today) throw ValidationError.field('date', 'must not be in the future');
  const scheduledFor = scheduledTimeOn(def.cron, date);
  if (!isInDateRange(windowFor(def, scheduledFor).start.getTime()))
    throw ValidationError.field('date', `too early: the run would export days before ${EARLIEST_DATE}`);
  const details = { schedule: def.name, date, force: input.force ?? false };
  await enforceRateLimit(deps, principal, 'scheduled', details);
  const job = await requestScheduledRun(deps, {
    schedule: def.name,
    scheduledFor,
    requestedBy: principal.userId,
    requesterEmail: principal.email,
    force: input.force ?? false,
  });
  if (job.status === 'queued') await enqueueJob(deps, principal, job.id, 'scheduled', details);
  await deps.audit.record({
    userId: principal.userId,
    exportType: 'scheduled',
    action: 'schedule_run',
    status: 'accepted',
    jobId: job.id,
    details: { ...details, scheduledFor: scheduledFor.toISOString(), jobStatus: job.status },
  });
  return job;
}

export interface ScheduledRunRequest {
  /** A catalogue schedule name. */
  readonly schedule: string;
  /** Any instant on the run date (UTC) to run or backfill, e.g. `2024-05-01T00:00:00Z`. */
  readonly scheduledFor: Date;
  /** The admin's user id (JWT `sub`): the job's owner, who may download it and gets the email. */
  readonly requestedBy: string;
  readonly requesterEmail: string | null;
  /** Run again even when the date's run already completed (its object is then replaced). */
  readonly force: boolean;
}

/**
 * For `POST /schedules/{name}/run`: creates the job of a schedule's run date, or resets it to a
 * fresh `queued` run owned by the requesting admin. Without `force`, a failed or cancelled run is
 * reset but a completed one is refused; a queued or running job is returned unchanged. The caller
 * then enqueues `{jobId: job.id}` (a duplicate message for a queued or running job is harmless).
 * A rerun writes the same object key, so the date keeps one object and one completed job.
 *
 * @throws NotFoundError for an unknown schedule (404); ConflictError when the date's run already
 * completed and `force` is false (409, `details.jobId`).
 */
export async function requestScheduledRun(
  deps: { readonly leases: JobLeases },
  request: ScheduledRunRequest,
): Promise<ExportJob> {
  const def = getSchedule(request.schedule);
  const slot = scheduledJobInput(def, request.scheduledFor, request);
  const resettable: JobStatus[] = request.force
    ? ['completed', 'failed', 'cancelled']
    : ['failed', 'cancelled'];
  const { job, outcome } = await deps.leases.resetScheduledJob(slot, resettable);
  if (outcome === 'unchanged' && job.status === 'completed') {
    throw new ConflictError(
      `the ${def.name} run for ${utcDay(slot.scheduledFor)} already completed; force a rerun to replace it`,
      {
        jobId: job.id,
      },
    );
  }
  return job;
}
