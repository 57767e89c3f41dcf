import { downloadLink } from './api-paths.js';
import type { AuditAction } from './audit-log.js';
import { completedExportEmail, type EmailContent, failedExportEmail } from './export-emails.js';
import type { ExportJob, JobError, JobResult } from './export-job.js';
import { errorDetail } from './failure-reasons.js';
import { attemptObjects } from './job-plan.js';
import { createLinkToken } from './link-token.js';
import type { ProcessExportJobDeps } from './process-export-job.js';
import { SILENT_LOG, type WorkerLog } from './worker-log.js';

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

/**
 * Sends the one email of an outcome (message id {@link emailMessageId}). Call it only after
 * winning the outcome's conditional update, so no other worker or sweep sends it too; a failure
 * to send is logged, never turned into a second outcome.
 */
export async function sendOutcomeEmail(
  deps: Pick<ProcessExportJobDeps, 'mailer'>,
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
  } catch (error) {
    log.error('email not sent', { jobId: job.id, email: kind, detail: errorDetail(error) });
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
  deps: Pick<ProcessExportJobDeps, 'audit' | 'mailer' | 'metrics' | 'storeFor' | 'defaultBucket'>,
  job: ExportJob,
  error: JobError,
  details: Record<string, unknown>,
  log: WorkerLog = SILENT_LOG,
): Promise<void> {
  deps.metrics.exportFailed(job.kind, job.format);
  // A failed job keeps no object: any attempt may have completed an upload before it died.
  await discardObjects(deps, job, attemptObjects(job, deps.defaultBucket).keys, log);
  await auditJob(deps, job, 'failed', 'error', { error, attempt: job.attempts, ...details }, log);
  await sendOutcomeEmail(deps, job, 'failed', async () => failedExportEmail({ job, error }), log);
}

/**
 * Reports a completion that the caller recorded itself, i.e. whose conditional `complete` it won
 * (a single-object run, or the join of a chunked job): the objects of other attempts are removed,
 * then the `ExportsCompleted` metric, the `completed` audit row and the one email with a signed
 * download link. `details` are added to the audit row; `durationMs` also feeds the metric.
 */
export async function reportJobCompletion(
  deps: Pick<
    ProcessExportJobDeps,
    | 'audit'
    | 'mailer'
    | 'metrics'
    | 'storeFor'
    | 'defaultBucket'
    | 'settings'
    | 'linkSecret'
    | 'publicApiUrl'
    | 'now'
  >,
  job: ExportJob,
  result: JobResult,
  details: { readonly durationMs: number } & Record<string, unknown>,
  log: WorkerLog = SILENT_LOG,
): Promise<void> {
  const now = deps.now ?? Date.now;
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
      ...(result.files && { files: result.files.length }),
      ...details,
    },
    log,
  );
  await sendOutcomeEmail(
    deps,
    job,
    'completed',
    async (owner) => {
      const ttl = deps.settings.linkTtlSeconds;
      const token = await createLinkToken(deps.linkSecret, { jobId: job.id, userId: owner }, ttl);
      return completedExportEmail({
        job,
        result,
        downloadUrl: downloadLink(deps.publicApiUrl, job.id, token),
        expiresAt: new Date(now() + ttl * 1000),
      });
    },
    log,
  );
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
