import type { JobError } from '../jobs/export-job.js';
import type { ExportQueue } from '../jobs/export-queue.js';
import { jobFailure } from '../jobs/failure-reasons.js';
import type { ExpiredLeaseCriteria, JobLeases } from '../jobs/job-leases.js';
import { outcomeOf } from '../notifications/export-events.js';
import type { JobNotifications } from '../notifications/job-notifications.js';
import { SILENT_LOG, type WorkerLog } from '../worker-log.js';
import type { ExportChunks } from './chunks/export-chunks.js';
import { notifyJobOutcome, type OutcomeDeps, reportJobFailure } from './job-outcomes.js';

/** What the sweep needs: the worker's job leases, outcome reporting and notifications, and the export queue. */
export interface SweepStaleJobsDeps extends OutcomeDeps {
  readonly leases: JobLeases;
  readonly notifications: JobNotifications;
  readonly queue: ExportQueue;
  /** The chunks of split jobs, whose lost messages are sent again. @default - no chunk sweep */
  readonly chunks?: ExportChunks;
  readonly log?: WorkerLog;
}

export interface SweepStaleJobsInput {
  /** The sweep's clock: staleness is measured back from it. */
  readonly now: Date;
  /**
   * How long a job may sit `queued`, or hold an expired lease, before the sweep acts. It must
   * exceed the time a healthy API takes between insert and enqueue, and a heartbeat's worst delay.
   * @default 300
   */
  readonly queuedGraceSeconds?: number;
  /**
   * Attempts (claims) after which an abandoned `processing` job is failed instead of re-enqueued:
   * the queue's `maxReceiveCount` (`MAX_RECEIVE_COUNT`), as the worker fails a job on its last receive.
   */
  readonly maxAttempts: number;
  /**
   * How long SQS keeps a failed message invisible before redelivering it (the queue's visibility
   * timeout). A job a worker released after a retryable failure is `queued` with its message still
   * on the way back; re-enqueuing it earlier would cut the retry back-off short and multiply its
   * messages, so such a job is swept only after this plus the grace period.
   * @default 0
   */
  readonly redeliveryDelaySeconds?: number;
  /** Most jobs per statement; the sweep repeats a statement while it fills a batch. @default 100 */
  readonly batchSize?: number;
  /**
   * How long after a job finished its worker has to send the outcome email and event before the
   * sweep resends what is not recorded as sent. Shorter than the worker's notify time only costs a
   * duplicate, which receivers drop by Message-ID and `webhook-id`.
   * @default 60
   */
  readonly notifyGraceSeconds?: number;
}

export interface SweepResult {
  /** Jobs put on the queue again (`queued` ones and expired leases under `maxAttempts`). */
  readonly requeued: number;
  /** Abandoned jobs marked `failed` (`abandoned`). */
  readonly failed: number;
  /** Finished jobs whose unsent outcome email or event was sent again. */
  readonly renotified: number;
}

/** The error stored on a job whose worker disappeared after its last allowed attempt. */
export const ABANDONED_ERROR: JobError = Object.freeze(jobFailure('abandoned', false));

/**
 * Recovers jobs that nothing will move on any more, for a timer (EventBridge every 5 minutes, the
 * local runtime's scheduler):
 *
 * 1. **Abandoned**: `processing`, lease expired more than the grace period ago, after at least
 *    `maxAttempts` attempts (the worker's last receive could not record the failure, e.g. the
 *    database was down too, and the message went to the DLQ). Marked `failed` with
 *    `{code: 'abandoned', retryable: false}`, then reported as the worker reports a failure
 *    (`reportJobFailure`: metric, audit, one email with message id `{jobId}:failed`). The
 *    conditional update has one winner and a worker can only fail a job it still leases, so the
 *    email is never sent twice.
 * 2. **Expired lease** under `maxAttempts` (or with a cancel request, which the next claim
 *    honours): re-enqueued as `{jobId}`.
 * 3. **Queued** and untouched for the grace period (the API died between insert and enqueue), or a
 *    released job whose redelivery is overdue (see `redeliveryDelaySeconds`): re-enqueued.
 *
 * 4. **Unsent notifications**: a finished job whose outcome email or event is not recorded as sent
 *    `notifyGraceSeconds` after it finished (its worker died in between, SES or EventBridge
 *    refused, or the API cancelled a queued job, which no worker reports): sent again with the
 *    same Message-ID and event id (`notifyJobOutcome`), so notifications are at least once.
 *
 * A re-enqueued job's `updated_at` is touched first, so the next sweep waits a grace period again
 * and overlapping sweeps do not both send it. Duplicate messages are harmless: the worker's claim
 * is conditional and skips a job that is finished or leased by another worker. A sweep racing a
 * worker never overwrites it: every statement re-checks status and lease. If the queue refuses a
 * message the error is thrown; the jobs touched but not sent are picked up one grace period later.
 */
export async function sweepStaleJobs(
  deps: SweepStaleJobsDeps,
  input: SweepStaleJobsInput,
): Promise<SweepResult> {
  const log = deps.log ?? SILENT_LOG;
  const graceMs = (input.queuedGraceSeconds ?? 300) * 1000;
  const limit = input.batchSize ?? 100;
  const now = input.now.getTime();
  const expired: ExpiredLeaseCriteria = {
    expiredBefore: new Date(now - graceMs),
    maxAttempts: input.maxAttempts,
    limit,
  };

  let failed = 0;
  await inBatches(limit, async () => {
    const jobs = await deps.leases.failAbandoned(expired, ABANDONED_ERROR);
    for (const job of jobs) {
      const error = job.error ?? ABANDONED_ERROR;
      log.error('abandoned job failed', { jobId: job.id, attempts: job.attempts, error });
      await reportJobFailure(deps, job, error, { sweptBy: 'sweeper' }, log);
      failed++;
    }
    return jobs.map((job) => job.id);
  });

  let requeued = 0;
  const requeue = (reason: string, touch: () => Promise<string[]>) =>
    inBatches(limit, async () => {
      const ids = await touch();
      for (const jobId of ids) {
        await deps.queue.enqueue({ jobId });
        log.warn('stale job re-enqueued', { jobId, reason });
        requeued++;
      }
      return ids;
    });
  await requeue('lease_expired', () => deps.leases.touchExpiredLeases(expired));
  await requeue('queued', () =>
    deps.leases.touchStaleQueued({
      unclaimedBefore: new Date(now - graceMs),
      releasedBefore: new Date(now - graceMs - (input.redeliveryDelaySeconds ?? 0) * 1000),
      limit,
    }),
  );
  const { chunks } = deps;
  if (chunks) {
    // A chunk's message comes back by itself after the visibility timeout: wait that long too.
    const before = new Date(now - graceMs - (input.redeliveryDelaySeconds ?? 0) * 1000);
    await inBatches(limit, async () => {
      const stale = await chunks.touchStale(before, limit);
      for (const { jobId, ordinal } of stale) {
        await deps.queue.enqueue({ jobId, chunk: ordinal });
        log.warn('stale chunk re-enqueued', { jobId, chunk: ordinal });
        requeued++;
      }
      return stale.map((c) => `${c.jobId}/${c.ordinal}`);
    });
  }

  let renotified = 0;
  const notifyGraceMs = (input.notifyGraceSeconds ?? 60) * 1000;
  await inBatches(limit, async () => {
    const unsent = await deps.notifications.claimUnsent({
      finishedBefore: new Date(now - notifyGraceMs),
      limit,
    });
    for (const { job, email, event } of unsent) {
      const outcome = outcomeOf(job);
      if (!outcome) continue;
      log.warn('outcome notification unsent; sending it again', { jobId: job.id, email, event });
      await notifyJobOutcome(deps, job, outcome, log, { email, event });
      renotified++;
    }
    return unsent.map((u) => u.job.id);
  });
  return { requeued, failed, renotified };
}

/**
 * Runs `step` again while it fills a whole batch of jobs it has not seen before (a job it acted on
 * no longer matches, so this ends; the seen check also ends it if the clock says otherwise).
 */
async function inBatches(limit: number, step: () => Promise<string[]>): Promise<void> {
  const seen = new Set<string>();
  for (;;) {
    const ids = await step();
    const fresh = ids.filter((id) => !seen.has(id));
    for (const id of ids) seen.add(id);
    if (ids.length < limit || fresh.length < ids.length) return;
  }
}
