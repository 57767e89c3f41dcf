import type { AuditAction } from '../access/audit-log.js';
import { runExport } from '../engine/run-export.js';
import {
  ExportCancelledError,
  LeaseLostError,
  SnapshotTooLongError,
  TimeBudgetExceededError,
} from '../errors.js';
import type { ExportJob, JobProgress, JobResult } from '../jobs/export-job.js';
import { errorDetail, toJobError } from '../jobs/failure-reasons.js';
import type { WorkerLog } from '../worker-log.js';
import { splitJob } from './chunks/job-split.js';
import { JobMonitor, settingsOf } from './job-monitor.js';
import {
  auditJob,
  discardObjects,
  reportJobCancellation,
  reportJobCompletion,
  reportJobFailure,
} from './job-outcomes.js';
import { attemptObjects, type ExportTarget, planFor } from './job-plan.js';
import { runSnapshotJob } from './snapshot-job.js';
import type { ProcessExportJobDeps, ProcessExportJobInput, ProcessOutcome } from './worker-deps.js';

/** One claimed job, from plan to outcome. */
export class JobRun {
  private readonly now: () => number;
  private readonly settings: ReturnType<typeof settingsOf>;
  /** A bulk job that asked for one snapshot across all its chunks. */
  private readonly snapshotMode: boolean;

  constructor(
    private readonly deps: ProcessExportJobDeps,
    private readonly input: ProcessExportJobInput,
    private readonly job: ExportJob,
    private readonly owner: string,
    private readonly log: WorkerLog,
  ) {
    this.now = deps.now ?? Date.now;
    this.settings = settingsOf(deps);
    this.snapshotMode = isSnapshotJob(job);
  }

  async run(): Promise<ProcessOutcome> {
    const { job } = this;
    this.log.info('job claimed', {
      jobId: job.id,
      kind: job.kind,
      format: job.format,
      attempt: job.attempts,
    });
    await this.audit('started', 'ok', { attempt: job.attempts, receiveCount: this.input.receiveCount });
    if (job.cancelRequested) return this.cancelled();

    let target: ExportTarget;
    try {
      target = planFor(job, this.deps.defaultBucket);
    } catch (error) {
      return this.failed(error);
    }
    const tooLittleTime = this.input.remainingTimeMs() <= this.settings.safetyMarginMs;
    const startedAt = this.now();
    // Started before planning: the planner's estimates wait for a table someone else locked like
    // any read, and meanwhile the heartbeat keeps the lease and learns of a cancellation.
    const monitor = new JobMonitor(this.deps, this.input, this.job, this.owner, this.log, startedAt);
    // A job too large for one object, or for the time this invocation has, goes to chunks; a
    // `snapshot` job's chunks are written here, on readers sharing this invocation's snapshot.
    const { snapshotMode } = this;
    if (this.deps.chunking && job.kind === 'bulk' && !(snapshotMode && tooLittleTime)) {
      let split: ProcessOutcome | null;
      try {
        split = snapshotMode ? await this.sharedSnapshot(monitor) : await this.split(tooLittleTime);
      } catch (error) {
        await monitor.stop();
        throw error;
      }
      if (split) {
        await monitor.stop();
        return split;
      }
    }
    if (tooLittleTime) {
      await monitor.stop();
      return this.failed(
        this.timeBudget(
          new TimeBudgetExceededError('not enough time left in this invocation to start the export'),
        ),
      );
    }

    let result: JobResult;
    let progress: JobProgress;
    try {
      const exported = await runExport(
        { database: this.deps.database, store: this.deps.storeFor(target.bucket) },
        target.plan,
        {
          signal: monitor.signal,
          onProgress: (p) => monitor.onProgress(p),
        },
      );
      await monitor.stop();
      result = { ...exported, bucket: target.bucket };
      progress = {
        rowsExported: exported.rows,
        rowsTotal: exported.rows,
        bytesWritten: exported.bytes,
        tablesDone: exported.tables.length,
        tablesTotal: exported.tables.length,
        percent: 100,
        etaSeconds: 0,
      };
      if (!(await this.deps.leases.complete(job.id, this.owner, result, progress))) {
        this.log.warn('lease lost before completion; the new lease holder finishes the job', {
          jobId: job.id,
        });
        // This attempt's own object is nobody's result: remove it (a scheduled destination stays).
        if (job.kind !== 'scheduled') await discardObjects(this.deps, job, [result.objectKey], this.log);
        return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
      }
    } catch (thrown) {
      return this.stopped(monitor, thrown);
    }

    await reportJobCompletion(
      this.deps,
      job,
      result,
      { durationMs: this.now() - startedAt, attempt: job.attempts },
      this.log,
    );
    return { status: 'completed', jobId: job.id, result };
  }

  /** Splits the job into chunks when it is large (or `force`); null when it stays one object. */
  private async split(force: boolean): Promise<ProcessOutcome | null> {
    const { chunking } = this.deps;
    if (!chunking) return null;
    try {
      return await splitJob({ ...this.deps, chunking }, this.job, this.owner, this.log, force);
    } catch (error) {
      return this.failed(error);
    }
  }

  /** A snapshot job out of time cannot continue elsewhere, nor be retried to any avail. */
  private timeBudget(error: unknown): unknown {
    if (error instanceof TimeBudgetExceededError && this.snapshotMode)
      return new SnapshotTooLongError(`a snapshot export must finish in one invocation: ${error.message}`);
    return error;
  }

  /**
   * Writes a large `snapshot` job's chunks on readers sharing one snapshot; null when it stays
   * one object. Cancellation, lease loss and failures end the run as for one object.
   */
  private async sharedSnapshot(monitor: JobMonitor): Promise<ProcessOutcome | null> {
    try {
      return await runSnapshotJob(
        { ...this.deps, chunking: this.deps.chunking! },
        this.job,
        this.owner,
        monitor,
        this.log,
      );
    } catch (thrown) {
      return this.stopped(monitor, thrown);
    }
  }

  /**
   * An export that stopped: cancelled, lease lost, or failed (why the monitor stopped it comes
   * first). A bulk job out of time continues as chunks, which resume, unless it asked for one
   * snapshot (which cannot outlive this invocation).
   */
  private async stopped(monitor: JobMonitor, thrown: unknown): Promise<ProcessOutcome> {
    await monitor.stop();
    const error = monitor.reason ?? thrown;
    if (error instanceof ExportCancelledError) return this.cancelled();
    if (error instanceof LeaseLostError) {
      this.log.warn('lease lost while exporting; stopped', { jobId: this.job.id });
      return { status: 'skipped', jobId: this.job.id, reason: 'lease_lost' };
    }
    if (
      error instanceof TimeBudgetExceededError &&
      this.deps.chunking &&
      this.job.kind === 'bulk' &&
      !this.snapshotMode
    ) {
      const split = await this.split(true);
      if (split) return split;
    }
    return this.failed(this.timeBudget(error));
  }

  private async cancelled(): Promise<ProcessOutcome> {
    const { job } = this;
    if (!(await this.deps.leases.markCancelled(job.id, this.owner))) {
      return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
    }
    this.log.info('export cancelled', { jobId: job.id });
    await discardObjects(this.deps, job, attemptObjects(job, this.deps.defaultBucket).keys, this.log);
    await reportJobCancellation(this.deps, job, { attempt: job.attempts }, this.log);
    return { status: 'cancelled', jobId: job.id };
  }

  /** Releases and rethrows a retryable error, or records the failure (see `processExportJob`). */
  private async failed(thrown: unknown): Promise<ProcessOutcome> {
    const { job, input } = this;
    const error = toJobError(thrown);
    const lastReceive = input.receiveCount >= input.maxReceiveCount;
    if (error.retryable && !lastReceive) {
      this.log.warn('retryable failure; lease released for redelivery', {
        jobId: job.id,
        error,
        detail: errorDetail(thrown),
        receiveCount: input.receiveCount,
        maxReceiveCount: input.maxReceiveCount,
      });
      try {
        await this.deps.leases.release(job.id, this.owner);
      } catch (releaseError) {
        // The lease then expires by itself before the redelivery (visibility timeout ≫ lease).
        this.log.warn('could not release the lease', { jobId: job.id, detail: errorDetail(releaseError) });
      }
      throw thrown;
    }
    if (await this.deps.leases.fail(job.id, this.owner, error)) {
      this.log.error('export failed', {
        jobId: job.id,
        error,
        receiveCount: input.receiveCount,
        detail: errorDetail(thrown),
      });
      await reportJobFailure(this.deps, job, error, { receiveCount: input.receiveCount }, this.log);
    }
    // Last receive of a retryable failure: the message goes on to the dead-letter queue.
    if (error.retryable) throw thrown;
    return { status: 'failed', jobId: job.id, error };
  }

  private audit(action: AuditAction, status: string, details: Record<string, unknown>): Promise<void> {
    return auditJob(this.deps, this.job, action, status, details, this.log);
  }
}

/** True for a bulk job that asked for one snapshot across all its chunks. */
function isSnapshotJob(job: ExportJob): boolean {
  return job.spec.kind === 'bulk' && job.spec.consistency === 'snapshot';
}
