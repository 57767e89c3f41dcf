import { createHash } from 'node:crypto';
import { parseDateBound } from '../catalogue/date-bounds.js';
import { ValidationError } from '../errors.js';
import type { ExportJob, JobError, JobStatus } from './export-job.js';
import type { JobSpec } from './job-spec.js';

/** What a request handler inserts; the row starts `queued`. */
export interface NewExportJob {
  /** What the job exports; the row's summary columns are derived from it (`specColumns`). */
  readonly spec: JobSpec;
  readonly requestedBy: string;
  readonly requesterEmail: string | null;
  /** Client's `Idempotency-Key`, unique per requester. */
  readonly idempotencyKey?: string | null;
  /** Hash of the normalised request (see {@link requestHash}); a key reused with another hash is a 409. */
  readonly requestHash?: string | null;
}

export interface CreateJobResult {
  readonly job: ExportJob;
  /** False when an earlier request with the same idempotency key and body already created it. */
  readonly created: boolean;
}

export interface JobListQuery {
  /** Only this requester's jobs; all jobs when absent (admins). */
  readonly requestedBy?: string;
  readonly status?: JobStatus;
  /** 1–100. */
  readonly limit: number;
  /** From a previous page's `nextCursor`. */
  readonly cursor?: string;
}

export interface JobPage {
  readonly jobs: readonly ExportJob[];
  /** Opaque; absent on the last page. */
  readonly nextCursor: string | null;
}

export interface MetricsBucket {
  readonly total: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly queued: number;
  readonly processing: number;
  /** Of completed jobs, `completed_at − started_at`; null when none completed. */
  readonly durationMs: {
    readonly avg: number | null;
    readonly p50: number | null;
    readonly p95: number | null;
  };
  readonly rows: number;
  readonly bytes: number;
}

/** `GET /metrics`: jobs created since `since`, overall and split by kind and by format. */
export interface JobMetrics extends MetricsBucket {
  readonly since: string;
  readonly byKind: Readonly<Record<string, MetricsBucket>>;
  readonly byFormat: Readonly<Record<string, MetricsBucket>>;
}

export interface IdempotentJob extends ExportJob {
  readonly requestHash: string | null;
}

/** Port: the API's side of `export_jobs` (the worker's side is `JobLeases`). */
export interface ExportJobs {
  /**
   * Inserts a queued job. With an idempotency key already used by the same requester it returns
   * the existing job (`created: false`) when the request hash matches.
   * @throws ConflictError when the key was used with a different request.
   */
  create(job: NewExportJob): Promise<CreateJobResult>;
  /** The job created earlier with this requester's idempotency key, with its request hash. */
  findByIdempotencyKey(requestedBy: string, key: string): Promise<IdempotentJob | null>;
  get(id: string): Promise<ExportJob | null>;
  /** Newest first (`created_at`, then id, descending); stable under concurrent inserts. */
  list(query: JobListQuery): Promise<JobPage>;
  /**
   * Cancels a queued job at once (`cancelled`), or flags a processing one (`cancel_requested`) for
   * its worker to stop. Returns the job after the change, null when there is no such job.
   * @throws ConflictError when the job has already finished.
   */
  requestCancel(id: string): Promise<ExportJob | null>;
  /**
   * Marks a job that could not be queued as `failed` with a retryable error, and frees its
   * idempotency key so the client's retry creates a fresh job. Only a still-`queued` job changes.
   */
  markEnqueueFailed(id: string, error: JobError): Promise<void>;
  /** Aggregates computed in SQL (percentiles with `percentile_cont`). */
  metrics(since: Date): Promise<JobMetrics>;
}

/** Largest page of `GET /jobs`. */
export const MAX_PAGE_SIZE = 100;

/** A position in the newest-first job order: `created_at` (ISO, microseconds) and id. */
export interface JobCursor {
  readonly createdAt: string;
  readonly id: string;
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Opaque to clients: base64url of `createdAt|id`. */
export function encodeCursor(cursor: JobCursor): string {
  return Buffer.from(`${cursor.createdAt}|${cursor.id}`, 'utf8').toString('base64url');
}

/** @throws ValidationError naming `cursor` when it is not one this API issued. */
export function decodeCursor(text: string): JobCursor {
  const invalid = () => ValidationError.field('cursor', 'not a cursor returned by this API');
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) throw invalid();
  const [createdAt, id, extra] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  if (extra !== undefined || !createdAt || !id || !CURSOR_TIME.test(createdAt) || !UUID.test(id))
    throw invalid();
  // The same date rule as every other date of the API: a forged year 0 is a 400, not a database error.
  if (!parseDateBound(createdAt)) throw invalid();
  return { createdAt, id };
}

/** JSON with object keys sorted at every level, so equal requests hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 of the canonical JSON of a normalised request: the idempotency fingerprint. */
export function requestHash(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}
