import { randomUUID } from 'node:crypto';
import type { AuditLog } from './audit-log.js';
import { runChunk } from './chunk-run.js';
import { ExportError } from './errors.js';
import type { ExportChunks } from './export-chunks.js';
import type { EventPublisher } from './export-events.js';
import type { JobError, JobResult } from './export-job.js';
import type { ExportQueue, ExportQueueMessage } from './export-queue.js';
import {
  type ClaimSkipReason,
  isClaimSkipped,
  type JobLeases,
  type ScheduledJobInput,
} from './job-leases.js';
import type { JobNotifications } from './job-notifications.js';
import { JobRun } from './job-run.js';
import type { Mailer } from './mailer.js';
import type { MetricsSink } from './metrics-sink.js';
import type { MultipartUploads } from './multipart-uploads.js';
import type { ExportDatabase, ObjectStore, SharedSnapshots } from './ports.js';
import { getSchedule } from './schedule-catalogue.js';
import { scheduledJobInput } from './scheduled-job.js';
import { SILENT_LOG, type WorkerLog } from './worker-log.js';

export interface ProcessExportJobSettings {
  /** Lease length; the heartbeat renews it, so it only bounds how long a crashed worker blocks a retry. */
  readonly leaseSeconds: number;
  /** Lifetime of the emailed download link. */
  readonly linkTtlSeconds: number;
  /** How often progress is written, the lease renewed and cancellation checked. @default 2000 */
  readonly heartbeatMs?: number;
  /** Stop this long before the invocation's deadline at the latest. @default 30000 */
  readonly safetyMarginMs?: number;
  /** The rate is trusted for the ETA check only after this long. @default 2000 */
  readonly rateSampleMs?: number;
}

/** What splitting large jobs into chunks needs (DESIGN §10). */
export interface ChunkingDeps {
  readonly chunks: ExportChunks;
  /** Multipart uploads into the default bucket (chunked jobs are bulk jobs, written there). */
  readonly uploads: MultipartUploads;
  /** Where chunk messages and continuations go: the export queue itself. */
  readonly queue: ExportQueue;
  /** A table with more (estimated) rows is split into key ranges of about this many. */
  readonly chunkRows: number;
  /** Snapshots that parallel readers share: the `snapshot` consistency mode. */
  readonly snapshots: SharedSnapshots;
  /**
   * Connections a `snapshot` job reads on at once, besides the one holding the snapshot
   * (`SNAPSHOT_READERS`; the export pool must allow one more). 0: the holder reads every chunk.
   */
  readonly snapshotReaders: number;
}

export interface ProcessExportJobDeps {
  readonly leases: JobLeases;
  readonly database: ExportDatabase;
  /** The object store of `bucket`; called once per job. */
  readonly storeFor: (bucket: string) => ObjectStore;
  /** `EXPORT_BUCKET`: API jobs, and scheduled ones whose destination names no bucket. */
  readonly defaultBucket: string;
  readonly mailer: Mailer;
  /** The outcome events' bus (EventBridge in AWS, the emulated bus locally). */
  readonly events: EventPublisher;
  /** Records which outcome notifications went out, so the sweeper resends the rest. */
  readonly notifications: JobNotifications;
  readonly audit: AuditLog;
  readonly metrics: MetricsSink;
  /** Key that signs download link tokens (see `createLinkToken`). */
  readonly linkSecret: string;
  /** Base of the emailed link, e.g. `https://api.example.com/prod`; `/api/export/jobs/…` is appended. */
  readonly publicApiUrl: string;
  readonly settings: ProcessExportJobSettings;
  /** Without it every job is written as one object in one invocation. */
  readonly chunking?: ChunkingDeps;
  readonly log?: WorkerLog;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface ProcessExportJobInput {
  readonly message: ExportQueueMessage;
  /** SQS `ApproximateReceiveCount` of this delivery (1 on the first). */
  readonly receiveCount: number;
  /** The queue's redrive `maxReceiveCount`: the delivery with this count is the last one. */
  readonly maxReceiveCount: number;
  /** Milliseconds left in this invocation (Lambda's `context.getRemainingTimeInMillis`). */
  readonly remainingTimeMs: () => number;
  /** Lease owner; unique per delivery. @default a random id */
  readonly workerId?: string;
  /** Logger for this message (job id and request id appended); overrides `deps.log`. */
  readonly log?: WorkerLog;
}

/** What became of one message. Retryable failures are thrown instead (see `processExportJob`). */
export type ProcessOutcome =
  | { readonly status: 'completed'; readonly jobId: string; readonly result: JobResult }
  | { readonly status: 'failed'; readonly jobId: string; readonly error: JobError }
  | { readonly status: 'cancelled'; readonly jobId: string }
  /** The job was split into chunks, each now a message of its own. */
  | { readonly status: 'split'; readonly jobId: string; readonly chunks: number }
  /** A chunk was written (`completed`) or stopped at a part boundary with its continuation queued (`paused`). */
  | { readonly status: 'chunk_completed' | 'chunk_paused'; readonly jobId: string; readonly chunk: number }
  | {
      readonly status: 'skipped';
      readonly jobId: string | null;
      readonly reason: ClaimSkipReason | 'lease_lost' | 'unknown_schedule';
    };

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
 *   which `runChunk` processes, resumes across invocations and finally joins (DESIGN §10).
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
