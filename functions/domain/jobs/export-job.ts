import type { Compression, ExportFormat } from '../engine/export-format.js';
import type { ExportResult } from '../engine/run-export.js';
import type { JobSpec } from './job-spec.js';

/** Prefix of the objects that API (user and bulk) exports write: `exports/{jobId}/…`. */
export const API_EXPORT_PREFIX = 'exports/';

export const JOB_KINDS = ['user', 'bulk', 'scheduled'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FINISHED_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);

/** Progress as stored on the job and shown by `GET /jobs/{id}`. */
export interface JobProgress {
  readonly rowsExported: number;
  readonly bytesWritten: number;
  readonly tablesDone: number;
  readonly tablesTotal: number;
  readonly percent: number;
  readonly rowsTotal?: number;
  /** Estimated seconds left, from the rate so far. */
  readonly etaSeconds?: number;
  /** Chunks finished and planned, for a job split into chunks (docs/chunked-exports.md). */
  readonly chunksDone?: number;
  readonly chunksTotal?: number;
}

/**
 * One file of a job split into chunks (docs/chunked-exports.md), as listed in its `manifest.json` and by
 * `GET /jobs/{id}/files`. `name` is the key relative to the job's folder
 * (`{table}/part-00001.csv.gz`); `keyRange` the primary-key range the file holds.
 */
export interface JobFile {
  readonly name: string;
  readonly key: string;
  readonly table: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly contentType: string;
  readonly etag?: string;
  readonly keyRange?: { readonly from: string | null; readonly to: string | null };
}

/**
 * The result manifest of a completed job: the engine's result and the bucket it was written to.
 * Results recorded before entity tags were kept have none.
 */
export interface JobResult extends Omit<ExportResult, 'etag'> {
  readonly etag?: string;
  readonly bucket?: string;
  /**
   * A chunked job's files; its `objectKey` is then the manifest's key
   * (`exports/{jobId}/manifest.json`). Absent for a job of one object.
   */
  readonly files?: readonly JobFile[];
}

export interface JobError {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
}

/**
 * One `export_jobs` row (docs/architecture.md#service-tables). What it exports is its `spec`, parsed
 * once when the job was requested; `kind`, `tables`, `format` and `compression` restate it for
 * listing and metrics.
 */
export interface ExportJob {
  readonly id: string;
  readonly kind: JobKind;
  readonly spec: JobSpec;
  readonly tables: readonly string[];
  readonly format: ExportFormat;
  readonly compression: Compression;
  /** Bookkeeping of the row itself: `run`, the count of an admin's reruns of a scheduled date. */
  readonly options: Readonly<Record<string, unknown>>;
  /** The owner (JWT `sub`); null for jobs the system created (the scheduler's runs), which only admins see. */
  readonly requestedBy: string | null;
  readonly requesterEmail: string | null;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly leaseUntil: Date | null;
  readonly cancelRequested: boolean;
  readonly rowsExported: number;
  readonly bytesWritten: number;
  readonly progress: JobProgress | Record<string, never>;
  readonly result: JobResult | null;
  readonly error: JobError | null;
  readonly scheduleName: string | null;
  readonly scheduledFor: Date | null;
  readonly idempotencyKey: string | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
  readonly updatedAt: Date;
}

/** The SQS message for API-created jobs. Scheduled runs use `ScheduledExportMessage`. */
export interface ExportJobMessage {
  readonly jobId: string;
  /** One chunk of a job split into chunks (its ordinal), or its continuation (docs/chunked-exports.md). */
  readonly chunk?: number;
}
