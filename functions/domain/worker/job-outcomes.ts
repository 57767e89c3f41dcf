import { downloadLink } from '../access/api-paths.js';
import type { AuditAction } from '../access/audit-log.js';
import { createLinkToken } from '../access/link-token.js';
import type { ExportJob, JobError, JobResult } from '../jobs/export-job.js';
import { errorDetail } from '../jobs/failure-reasons.js';
import {
  completedExportEmail,
  type EmailContent,
  failedExportEmail,
} from '../notifications/export-emails.js';
import { exportEvent, type JobOutcome } from '../notifications/export-events.js';
import type { NotificationChannel } from '../notifications/job-notifications.js';
import { SILENT_LOG, type WorkerLog } from '../worker-log.js';
import { attemptObjects } from './job-plan.js';
import type { ProcessExportJobDeps } from './worker-deps.js';

/** Audit rows are written by the system (user null); a lost audit row must not undo an outcome. */
export async function auditJob(
  deps: Pick<ProcessExportJobDeps, 'audit'>,
  job: ExportJob,
  action: AuditAction,
  status: string,
  details: Record<string, unknown>,
  log: WorkerLog,
): Promise<void> {
  try {
    await deps.audit.record({
      userId: null,
      exportType: job.kind,
      action,
      status,
      jobId: job.id,
      details: { requestedBy: job.requestedBy, ...details },
    });
  } catch (error) {
    log.error('audit record failed', { jobId: job.id, action, detail: errorDetail(error) });
  }
}

/** What notifying an outcome needs: the mailer, the bus, the record of what went out, link signing. */
export type NotifyDeps = Pick<
  ProcessExportJobDeps,
  'mailer' | 'events' | 'notifications' | 'linkSecret' | 'publicApiUrl' | 'settings' | 'now'
>;

/**
 * Sends the notifications of a job's outcome (docs/events-and-webhooks.md), each recorded on the job once it went
 * out: the outcome email (message id {@link emailMessageId}; completed and failed jobs with a
 * requester) and the outcome event (id `exportEventId`). Call it only after winning the outcome's
 * conditional update, or from the sweeper's resend pass, which takes what is still unrecorded; a
 * failure is logged and left to that pass, never turned into a second outcome. `channels` limits it
 * to what is still unsent.
 */
export async function notifyJobOutcome(
  deps: NotifyDeps,
  job: ExportJob,
  outcome: JobOutcome,
  log: WorkerLog,
  channels: Readonly<Record<NotificationChannel, boolean>> = { email: true, event: true },
): Promise<void> {
  const now = deps.now ?? Date.now;
  if (channels.email && outcome.status !== 'cancelled') {
    await sendOutcomeEmail(
      deps,
      job,
      outcome.status,
      async (owner) => outcomeEmail(deps, job, outcome, owner),
      log,
    );
  }
  if (channels.event) {
    const occurredAt = job.completedAt ?? new Date(now());
    try {
      await deps.events.publish(exportEvent(job, outcome, occurredAt));
      await deps.notifications.markSent(job.id, 'event');
    } catch (error) {
      log.error('event not published; the sweeper resends it', {
        jobId: job.id,
        status: outcome.status,
        detail: errorDetail(error),
      });
    }
  }
}

async function outcomeEmail(
  deps: NotifyDeps,
  job: ExportJob,
  outcome: Exclude<JobOutcome, { status: 'cancelled' }>,
  owner: string,
): Promise<EmailContent> {
  if (outcome.status === 'failed') return failedExportEmail({ job, error: outcome.error });
  const now = deps.now ?? Date.now;
  const ttl = deps.settings.linkTtlSeconds;
  const token = await createLinkToken(deps.linkSecret, { jobId: job.id, userId: owner }, ttl);
  return completedExportEmail({
    job,
    result: outcome.result,
    downloadUrl: downloadLink(deps.publicApiUrl, job.id, token),
    expiresAt: new Date(now() + ttl * 1000),
  });
}

/**
 * Sends the one email of an outcome (message id {@link emailMessageId}) and records it as sent. A
 * job without requester has nobody to tell. A failure to send is logged; the sweeper resends.
 */
export async function sendOutcomeEmail(
  deps: Pick<ProcessExportJobDeps, 'mailer' | 'notifications'>,
  job: ExportJob,
  kind: 'completed' | 'failed',
  content: (owner: string) => Promise<EmailContent>,
  log: WorkerLog,
): Promise<void> {
  // A job without requester (the scheduler's runs) has nobody to tell, and nobody a link could be for.
  const to = job.requesterEmail;
  const owner = job.requestedBy;
  if (!to || owner === null) return;
  try {
    await deps.mailer.send({ to, messageId: emailMessageId(job, kind), ...(await content(owner)) });
    await deps.notifications.markSent(job.id, 'email');
  } catch (error) {
    log.error('email not sent; the sweeper resends it', {
      jobId: job.id,
      email: kind,
      detail: errorDetail(error),
    });
  }
}

/**
 * Removes objects that are no job's result (best effort: a failure is logged, and the bucket's
 * lifecycle rule removes whatever is left).
 */
export async function discardObjects(
  deps: Pick<ProcessExportJobDeps, 'storeFor' | 'defaultBucket'>,
  job: ExportJob,
  keys: readonly string[],
  log: WorkerLog,
): Promise<void> {
  if (keys.length === 0) return;
  const store = deps.storeFor(deps.defaultBucket);
  for (const key of keys) {
    try {
      await store.delete(key);
    } catch (error) {
      log.warn('could not remove an object that is no result', {
        jobId: job.id,
        key,
        detail: errorDetail(error),
      });
    }
  }
}

/**
 * Reports a failure that the caller recorded itself, i.e. whose conditional `processing` →
 * `failed` update it won (the worker's `fail`, the sweeper's `failAbandoned`): the `ExportsFailed`
 * metric, the `failed` audit row, the one failure email, and the removal of every object its
 * attempts left, as the worker reports its own.
 * `details` are added to the audit row (e.g. `receiveCount`).
 */
export async function reportJobFailure(
  deps: OutcomeDeps,
  job: ExportJob,
  error: JobError,
  details: Record<string, unknown>,
  log: WorkerLog = SILENT_LOG,
): Promise<void> {
  deps.metrics.exportFailed(job.kind, job.format);
  // A failed job keeps no object: any attempt may have completed an upload before it died.
  await discardObjects(deps, job, attemptObjects(job, deps.defaultBucket).keys, log);
  await auditJob(deps, job, 'failed', 'error', { error, attempt: job.attempts, ...details }, log);
  await notifyJobOutcome(deps, job, { status: 'failed', error }, log);
}

/** What reporting an outcome needs: audit, metrics, object clean-up and the notifications. */
export type OutcomeDeps = NotifyDeps &
  Pick<ProcessExportJobDeps, 'audit' | 'metrics' | 'storeFor' | 'defaultBucket'>;

/** What `reportJobCompletion` adds to the log and the audit row; `durationMs` also feeds the metric. */
export interface CompletionDetails extends Record<string, unknown> {
  readonly durationMs: number;
}

/**
 * Reports a completion that the caller recorded itself (its conditional `processing` →
 * `completed` update won: a single-object run, or the join of a chunked job): the objects of other
 * attempts are removed, then the log line, the `ExportsCompleted` metric, the `completed` audit
 * row, the one email with its signed link and the `Export Completed` event.
 */
export async function reportJobCompletion(
  deps: OutcomeDeps,
  job: ExportJob,
  result: JobResult,
  details: CompletionDetails,
  log: WorkerLog = SILENT_LOG,
): Promise<void> {
  // Objects of earlier attempts (one that crashed after its upload completed) are not the result.
  await discardObjects(deps, job, attemptObjects(job, deps.defaultBucket, result.objectKey).keys, log);
  const { durationMs } = details;
  log.info('export completed', {
    jobId: job.id,
    objectKey: result.objectKey,
    bucket: result.bucket,
    rows: result.rows,
    bytes: result.bytes,
    files: result.files?.length,
    durationMs,
    rowsPerSecond: durationMs > 0 ? Math.round((result.rows * 1000) / durationMs) : undefined,
  });
  deps.metrics.exportCompleted(job.kind, job.format, durationMs, result.rows, result.bytes);
  await auditJob(
    deps,
    job,
    'completed',
    'ok',
    {
      objectKey: result.objectKey,
      bucket: result.bucket,
      bytes: result.bytes,
      rows: result.rows,
      sha256: result.sha256,
      attempt: job.attempts,
      ...(result.files && { files: result.files.length }),
      ...details,
    },
    log,
  );
  await notifyJobOutcome(deps, job, { status: 'completed', result }, log);
}

/**
 * Reports a cancellation that the caller recorded itself (the worker's `markCancelled`): the
 * `cancelled` audit row and the `Export Cancelled` event (no email: the owner or an admin asked).
 * A queued job the API cancelled has no worker: the sweeper's resend pass publishes its event.
 */
export async function reportJobCancellation(
  deps: Pick<OutcomeDeps, 'audit' | keyof NotifyDeps>,
  job: ExportJob,
  details: Record<string, unknown>,
  log: WorkerLog = SILENT_LOG,
): Promise<void> {
  await auditJob(deps, job, 'cancelled', 'ok', details, log);
  await notifyJobOutcome(deps, job, { status: 'cancelled' }, log);
}

/**
 * Mailer idempotency key of an outcome email: `{jobId}:completed` / `{jobId}:failed`, plus
 * `:run-{n}` for an admin's rerun of a scheduled date (so the rerun's email is a new message).
 */
export function emailMessageId(
  job: Pick<ExportJob, 'id' | 'options'>,
  outcome: 'completed' | 'failed',
): string {
  const run = Number(job.options.run ?? 1);
  return `${job.id}:${outcome}${Number.isInteger(run) && run > 1 ? `:run-${run}` : ''}`;
}
