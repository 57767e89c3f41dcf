import type { ExportJob, JobError, JobProgress, JobResult, JobStatus } from './export-job.js';
import type { ScheduledJobSpec } from './job-spec.js';

/** Why a claim did not hand the job to this worker. */
export type ClaimSkipReason =
  /** No job has that id. */
  | 'not_found'
  /** The job is completed, failed or cancelled: a redelivered or duplicated message. */
  | 'finished'
  /** Another worker holds an unexpired lease on it. */
  | 'leased';

/** The answer to a claim that did not hand over the job. */
export interface ClaimSkipped {
  readonly skipped: ClaimSkipReason;
  /** The job's status when it was looked at, if it exists. */
  readonly status?: JobStatus;
}

export function isClaimSkipped(claim: ExportJob | ClaimSkipped): claim is ClaimSkipped {
  return 'skipped' in claim;
}

/** What a lease holder learns when it writes progress or extends its lease. */
export interface LeaseState {
  /** False once the lease is lost (expired and claimed by another worker, or the job left `processing`). */
  readonly held: boolean;
  /** The owner or an admin asked to cancel the job. */
  readonly cancelRequested: boolean;
}

/** The export_jobs row of one scheduled run, keyed by (schedule name, UTC run date). */
export interface ScheduledJobInput {
  readonly schedule: string;
  /** The slot: midnight UTC of the run date (see `scheduledJobInput`). */
  readonly scheduledFor: Date;
  readonly spec: ScheduledJobSpec;
  /** The user who asked for the run; null for the scheduler's own runs. */
  readonly requestedBy: string | null;
  readonly requesterEmail: string | null;
}

/** What `resetScheduledJob` did to the slot's row. */
export type ScheduledRunOutcome = 'created' | 'reset' | 'unchanged';

/** Which `queued` jobs a sweep re-enqueues (see `sweepStaleJobs`). */
export interface StaleQueuedCriteria {
  /** Never claimed (`attempts = 0`: the API's enqueue may never have happened) and untouched since. */
  readonly unclaimedBefore: Date;
  /**
   * Released by a worker (`attempts > 0`) and untouched since: SQS redelivers a released job's
   * message only after the queue's visibility timeout, so these wait longer.
   */
  readonly releasedBefore: Date;
  /** Most jobs per call. */
  readonly limit: number;
}

/** Which `processing` jobs a sweep treats as abandoned by their worker (see `sweepStaleJobs`). */
export interface ExpiredLeaseCriteria {
  /** The lease ran out, and the row was last written, before this instant. */
  readonly expiredBefore: Date;
  /** Attempts (claims) at which the job is given up rather than re-enqueued. */
  readonly maxAttempts: number;
  /** Most jobs per call. */
  readonly limit: number;
}

/**
 * Port: the worker's side of the `export_jobs` lifecycle. Every method is one conditional
 * statement, and every change after the claim is conditional on `lease_owner`, so a stale worker
 * (whose lease expired and was taken over) can never overwrite the job's outcome.
 */
export interface JobLeases {
  /**
   * Moves the job to `processing` for `owner` if it is `queued`, or `processing` with an expired
   * lease: increments `attempts`, sets `lease_until = now() + leaseSeconds`, `lease_owner`,
   * `started_at`, and resets progress for the new attempt.
   */
  claim(jobId: string, owner: string, leaseSeconds: number): Promise<ExportJob | ClaimSkipped>;
  extendLease(jobId: string, owner: string, leaseSeconds: number): Promise<LeaseState>;
  /** Writes progress (and extends the lease when `leaseSeconds` is given) in one statement. */
  recordProgress(
    jobId: string,
    owner: string,
    progress: JobProgress,
    leaseSeconds?: number,
  ): Promise<LeaseState>;
  /** `processing` → `completed` with the result manifest; true only for the one worker that won. */
  complete(jobId: string, owner: string, result: JobResult, progress: JobProgress): Promise<boolean>;
  /** `processing` → `failed` with the error; true only for the lease holder. */
  fail(jobId: string, owner: string, error: JobError): Promise<boolean>;
  /** `processing` → `queued`, lease cleared, so the redelivered message can claim it at once. */
  release(jobId: string, owner: string): Promise<boolean>;
  isCancelRequested(jobId: string): Promise<boolean>;
  /** `processing` → `cancelled`; true only for the lease holder. */
  markCancelled(jobId: string, owner: string): Promise<boolean>;
  /**
   * The job of a scheduled slot, inserted as `queued` unless the slot already has one
   * (unique on schedule name and scheduled time): duplicate EventBridge deliveries share one job.
   */
  ensureScheduledJob(input: ScheduledJobInput): Promise<ExportJob>;
  /**
   * Creates the slot's job, or resets it to a fresh `queued` run (new requester, run number + 1,
   * result, error and progress cleared) when its status is one of `resettable`; any other job is
   * returned unchanged. One statement, so concurrent callers cannot create two jobs for one slot.
   */
  resetScheduledJob(
    input: ScheduledJobInput,
    resettable: readonly JobStatus[],
  ): Promise<{ readonly job: ExportJob; readonly outcome: ScheduledRunOutcome }>;

  // The sweeper's side (`sweepStaleJobs`): each method picks and changes its jobs in one statement,
  // so overlapping sweeps never both act on a job, and re-checks the staleness it selected on, so a
  // worker that claimed or finished the job in the meantime keeps its result.

  /**
   * Touches (`updated_at = now()`) and returns the ids of `queued` jobs matching `criteria`, oldest
   * first, so the caller re-enqueues each and the next sweep waits a full grace period again.
   */
  touchStaleQueued(criteria: StaleQueuedCriteria): Promise<string[]>;
  /**
   * Touches and returns the ids of `processing` jobs whose lease expired (see `criteria`) with
   * fewer than `maxAttempts` attempts, or with a cancel request (the next claim cancels them).
   * Lease and owner stay as they are: the next claim takes the expired lease over.
   */
  touchExpiredLeases(criteria: ExpiredLeaseCriteria): Promise<string[]>;
  /**
   * `processing` → `failed` with `error` for jobs whose lease expired (see `criteria`) after at
   * least `maxAttempts` attempts and without a cancel request; returns the jobs as failed. Only the
   * caller that gets a job back may report its failure (audit, metric, email).
   */
  failAbandoned(criteria: ExpiredLeaseCriteria, error: JobError): Promise<ExportJob[]>;
}
