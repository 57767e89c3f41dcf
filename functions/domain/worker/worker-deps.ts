import type { AuditLog } from '../access/audit-log.js';
import type { MultipartUploads } from '../engine/multipart-uploads.js';
import type { ExportDatabase, ObjectStore, SharedSnapshots } from '../engine/ports.js';
import type { JobError, JobResult } from '../jobs/export-job.js';
import type { ExportQueue, ExportQueueMessage } from '../jobs/export-queue.js';
import type { ClaimSkipReason, JobLeases } from '../jobs/job-leases.js';
import type { MetricsSink } from '../metrics-sink.js';
import type { EventPublisher } from '../notifications/export-events.js';
import type { JobNotifications } from '../notifications/job-notifications.js';
import type { Mailer } from '../notifications/mailer.js';
import type { WorkerLog } from '../worker-log.js';
import type { ExportChunks } from './chunks/export-chunks.js';

/*
 * What the worker's use cases are given and return: the types every module of the worker shares,
 * kept apart from the modules that use them so that none imports another only for a type.
 */

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

/** What splitting large jobs into chunks needs (docs/chunked-exports.md). */
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
