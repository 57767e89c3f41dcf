import { randomUUID } from 'node:crypto';
import { ExportError } from '../errors.js';
import { isClaimSkipped, type ScheduledJobInput } from '../jobs/job-leases.js';
import { getSchedule } from '../schedules/schedule-catalogue.js';
import { scheduledJobInput } from '../schedules/scheduled-job.js';
import { SILENT_LOG } from '../worker-log.js';
import { runChunk } from './chunks/chunk-run.js';
import { JobRun } from './job-run.js';
import type { ProcessExportJobDeps, ProcessExportJobInput, ProcessOutcome } from './worker-deps.js';

/**
 * Processes one export-queue message: claims the job (creating it first for a scheduled run),
 * streams the export into its object, and records exactly one outcome.
 *
 * - **Skipped** (acknowledge): the job is finished, leased by another worker, or unknown. So a
 *   redelivered or duplicated message never yields a second object, email or completion: only the
 *   claim winner runs, object keys are deterministic, and only the worker whose conditional
 *   `complete` succeeds sends the email.
 * - **Completed**: result manifest on the job, one email with the signed link, one
 *   `Export Completed` event, audit, metrics.
 * - **Cancelled** (`cancel_requested` seen by the heartbeat): upload aborted, no object, no email,
 *   one `Export Cancelled` event.
 * - **Failed, not retryable** (bad spec, table or schedule gone…): job `failed`, one failure
 *   email and `Export Failed` event, audit; the outcome is returned, so the message is acknowledged.
 * - **Retryable** (database or S3 unavailable, time budget exhausted, unexpected errors): the lease
 *   is released and the error **thrown**, so SQS redelivers. On the last allowed receive
 *   (`receiveCount >= maxReceiveCount`) the job is first marked `failed` (email, audit, metric) and
 *   the error is still thrown, so the message ends in the dead-letter queue, whose alarm tells
 *   operators; a redrive of it is harmless (the claim skips the finished job).
 *
 * - **Split** (a bulk job above `chunking.chunkRows`, or one that cannot finish as one object in
 *   this invocation): the job is planned into key-range chunks, one message each (`{jobId, chunk}`),
 *   which `runChunk` processes, resumes across invocations and finally joins (docs/chunked-exports.md).
 *
 * Time budget: a single-object export is stopped, never killed mid-write, when fewer than
 * `safetyMarginMs` remain or when the measured row rate says it cannot finish before that margin;
 * a bulk job then continues as chunks, other kinds are released and retried.
 */
export async function processExportJob(
  deps: ProcessExportJobDeps,
  input: ProcessExportJobInput,
): Promise<ProcessOutcome> {
  const log = input.log ?? deps.log ?? SILENT_LOG;
  const owner = input.workerId ?? `worker-${randomUUID()}`;
  let jobId: string;
  if ('jobId' in input.message && input.message.chunk !== undefined) {
    return runChunk(deps, input, input.message.jobId, input.message.chunk, owner, log);
  }
  if ('jobId' in input.message) {
    jobId = input.message.jobId;
  } else {
    const message = input.message;
    let slot: ScheduledJobInput;
    try {
      slot = scheduledJobInput(getSchedule(message.schedule), new Date(message.scheduledTime), {
        // The scheduler's runs belong to no user: only admins see them.
        requestedBy: null,
        requesterEmail: null,
      });
    } catch (error) {
      if (!(error instanceof ExportError) || error.retryable) throw error;
      log.error('scheduled message for an unknown schedule or invalid time; acknowledged', {
        schedule: message.schedule,
        scheduledTime: message.scheduledTime,
        error: error.message,
      });
      return { status: 'skipped', jobId: null, reason: 'unknown_schedule' };
    }
    jobId = (await deps.leases.ensureScheduledJob(slot)).id;
  }

  const claim = await deps.leases.claim(jobId, owner, deps.settings.leaseSeconds);
  if (isClaimSkipped(claim)) {
    log.info('job not claimed; message acknowledged', {
      jobId,
      reason: claim.skipped,
      jobStatus: claim.status,
    });
    return { status: 'skipped', jobId, reason: claim.skipped };
  }
  return new JobRun(deps, input, claim, owner, log).run();
}
