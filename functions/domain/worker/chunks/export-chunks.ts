import type { UploadedPart } from '../../engine/multipart-uploads.js';
import type { ExportJob, JobError, JobFile, JobStatus } from '../../jobs/export-job.js';
import type { LeaseState } from '../../jobs/job-leases.js';

/**
 * The `lease_owner` of a job whose work was handed to its chunks: no worker holds the job itself
 * (its lease never expires, so neither a claim nor the sweeper takes it), and the job's outcome is
 * recorded by the chunk that joins, fails or cancels it (docs/chunked-exports.md).
 */
export const CHUNKED_JOB_OWNER = 'chunks';

/** One primary-key range of a table, as planned (see `planChunks`). */
export interface PlannedChunk {
  /** 1-based position in the job's plan; the queue message names it. */
  readonly ordinal: number;
  readonly table: string;
  /** File number within its table: `{table}/part-00001.csv`. */
  readonly part: number;
  /** Exclusive lower bound (text of the key); null: from the first key. */
  readonly keyFrom: string | null;
  /** Inclusive upper bound; null only for a table that was empty when planned. */
  readonly keyTo: string | null;
  readonly rowsEstimate: number;
}

/**
 * Where a chunk stopped at its last part boundary: enough to continue the same multipart upload
 * in another invocation without writing a row twice or skipping one.
 */
export interface ChunkCheckpoint {
  /** The object key the upload will complete into. */
  readonly key: string;
  readonly uploadId: string;
  readonly parts: readonly UploadedPart[];
  /** The last key whose row is in the uploaded parts; null before the first row. */
  readonly lastKey: string | null;
  readonly rows: number;
  readonly bytes: number;
  /** Part size of this upload, in bytes. */
  readonly partSize: number;
  /**
   * Set once the upload is complete (the file is stored) and only recording it is left: a chunk
   * continued from here writes nothing, it reads the file back for its SHA-256.
   */
  readonly completed?: { readonly etag: string };
}

export interface ExportChunk extends PlannedChunk {
  readonly jobId: string;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly invocations: number;
  readonly plannedAt: Date;
  readonly rowsExported: number;
  readonly bytesWritten: number;
  readonly checkpoint: ChunkCheckpoint | null;
  /** The finished file. */
  readonly result: JobFile | null;
  readonly error: JobError | null;
}

/** A claimed chunk and its job as the claim saw it. */
export interface ChunkClaim {
  readonly chunk: ExportChunk;
  readonly job: ExportJob;
}

export interface ChunkClaimSkipped {
  readonly skipped: 'not_found' | 'finished' | 'leased';
}

export function isChunkClaimSkipped(claim: ChunkClaim | ChunkClaimSkipped): claim is ChunkClaimSkipped {
  return 'skipped' in claim;
}

/** The chunks of a job taken together: what its progress is computed from. */
export interface ChunkSummary {
  readonly chunksTotal: number;
  readonly chunksDone: number;
  readonly tablesTotal: number;
  readonly tablesDone: number;
  readonly rowsExported: number;
  readonly bytesWritten: number;
  readonly rowsEstimate: number;
  readonly plannedAt: Date | null;
}

/**
 * Port: the `export_chunks` lifecycle. Like `JobLeases`, every change after a claim is one
 * conditional statement on the chunk's `lease_owner`, so a worker that lost its chunk changes
 * nothing; the job's own transitions are conditional on `CHUNKED_JOB_OWNER`.
 */
export interface ExportChunks {
  /**
   * Stores the plan while `owner` holds the job (a replan keeps the chunks already there).
   * Returns the job's chunks, or null when `owner` no longer held the job.
   */
  plan(jobId: string, owner: string, chunks: readonly PlannedChunk[]): Promise<ExportChunk[] | null>;
  /**
   * Hands the job from `owner` to its chunks (`CHUNKED_JOB_OWNER`, a lease that never expires),
   * once their messages are on the queue; false when `owner` no longer held it.
   */
  handOver(jobId: string, owner: string): Promise<boolean>;
  /**
   * `queued` (or `processing` with an expired lease) → `processing` for `owner`, attempts + 1.
   * A chunk that is finished is skipped, as is one another worker holds.
   */
  claim(
    jobId: string,
    ordinal: number,
    owner: string,
    leaseSeconds: number,
  ): Promise<ChunkClaim | ChunkClaimSkipped>;
  /**
   * Writes the chunk's counts and extends its lease. `cancelRequested` is also true when the job
   * left `processing` (a sibling failed it).
   */
  heartbeat(
    jobId: string,
    ordinal: number,
    owner: string,
    counts: { readonly rows: number; readonly bytes: number },
    leaseSeconds: number,
  ): Promise<LeaseState>;
  /** Saves the checkpoint (and its counts) while the lease is held. */
  checkpoint(jobId: string, ordinal: number, owner: string, checkpoint: ChunkCheckpoint): Promise<boolean>;
  /** `processing` → `queued`, lease cleared, checkpoint kept: its continuation message claims it. */
  release(jobId: string, ordinal: number, owner: string): Promise<boolean>;
  /** `processing` → `completed` with its file. */
  complete(jobId: string, ordinal: number, owner: string, file: ExportChunkResult): Promise<boolean>;
  /** `processing` → `failed` (for good). */
  fail(jobId: string, ordinal: number, owner: string, error: JobError): Promise<boolean>;
  /** `processing` → `cancelled`. */
  markCancelled(jobId: string, ordinal: number, owner: string): Promise<boolean>;
  /**
   * Every chunk still `queued` (and, with `running`, also `processing`) → `cancelled`, if the job
   * is stopping (cancel requested, or no longer `processing`), else none; returns them, so the
   * caller aborts the uploads their checkpoints hold open.
   */
  stop(jobId: string, options: { readonly running: boolean }): Promise<ExportChunk[]>;
  /** The job's chunks in plan order. */
  list(jobId: string): Promise<ExportChunk[]>;
  summary(jobId: string): Promise<ChunkSummary>;
  /**
   * Takes the job's lease for `owner` when every chunk is completed and the job is still its
   * chunks' (or an earlier joiner's lease expired): exactly one caller joins.
   */
  claimJoin(jobId: string, owner: string, leaseSeconds: number): Promise<ExportJob | null>;
  /**
   * `processing` → `cancelled` for a chunked job with a cancel request once none of its chunks
   * is running any more; returns the job to the one caller that changed it.
   */
  cancelIfStopped(jobId: string): Promise<ExportJob | null>;
  /**
   * Touches and returns chunks of `processing` jobs that nobody works on any more: `queued` and
   * untouched since `before` (their message may be lost), or `processing` with a lease that ran
   * out before `before` (their worker vanished). The sweeper sends each its message again; a
   * duplicate is harmless, since only one claim succeeds.
   */
  touchStale(before: Date, limit: number): Promise<{ readonly jobId: string; readonly ordinal: number }[]>;
  /**
   * Deletes every chunk of the job while `owner` still holds the job itself (not handed over):
   * a snapshot job's chunks, which no later attempt may continue. False when `owner` did not.
   */
  discard(jobId: string, owner: string): Promise<boolean>;
  /** `processing` → `failed` for a chunked job; returns the job to the one caller that changed it. */
  failJob(jobId: string, error: JobError): Promise<ExportJob | null>;
}

/** What a finished chunk records. */
export type ExportChunkResult = JobFile;
