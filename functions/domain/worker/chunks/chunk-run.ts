import { codecFor } from '../../engine/format-codec.js';
import { ExportCancelledError, LeaseLostError, TimeBudgetExceededError } from '../../errors.js';
import type { ExportJob } from '../../jobs/export-job.js';
import { errorDetail, toJobError } from '../../jobs/failure-reasons.js';
import type { WorkerLog } from '../../worker-log.js';
import type {
  ChunkingDeps,
  ProcessExportJobDeps,
  ProcessExportJobInput,
  ProcessOutcome,
} from '../worker-deps.js';
import { ChunkMonitor } from './chunk-monitor.js';
import { type ChunkWriteSpec, writeChunk } from './chunk-writer.js';
import {
  chunkFile,
  chunkSpecFor,
  dropUpload,
  failChunkedJob,
  finishCancellation,
  recordChunkedProgress,
  settleChunkedJob,
} from './chunked-job.js';
import { type ChunkCheckpoint, type ExportChunk, isChunkClaimSkipped } from './export-chunks.js';

type ChunkedDeps = ProcessExportJobDeps & { readonly chunking: ChunkingDeps };

/**
 * Processes one chunk message (`{jobId, chunk}`): claims the chunk, writes or continues its file,
 * and then either completes it (the last chunk joins the job), or stops at a part boundary and
 * queues its continuation, or stops for a cancellation or a sibling's failure, or fails it.
 * Retryable failures release the chunk and are rethrown, so SQS redelivers the message and the
 * next invocation continues from the checkpoint; the last receive fails the job.
 */
export async function runChunk(
  deps: ProcessExportJobDeps,
  input: ProcessExportJobInput,
  jobId: string,
  ordinal: number,
  owner: string,
  log: WorkerLog,
): Promise<ProcessOutcome> {
  if (!deps.chunking) throw new Error('a chunk message reached a worker without chunking dependencies');
  const chunked = deps as ChunkedDeps;
  const claim = await chunked.chunking.chunks.claim(jobId, ordinal, owner, deps.settings.leaseSeconds);
  if (isChunkClaimSkipped(claim)) {
    // A worker that completed its chunk and died before settling its job left that to a redelivery.
    if (claim.skipped === 'finished') await settleChunkedJob(chunked, jobId, owner, log);
    log.info('chunk not claimed; message acknowledged', { jobId, chunk: ordinal, reason: claim.skipped });
    return { status: 'skipped', jobId, reason: claim.skipped };
  }
  return new ChunkRun(chunked, input, claim.job, claim.chunk, owner, log).run();
}

class ChunkRun {
  private checkpoint: ChunkCheckpoint | null;

  constructor(
    private readonly deps: ChunkedDeps,
    private readonly input: ProcessExportJobInput,
    private readonly job: ExportJob,
    private readonly chunk: ExportChunk,
    private readonly owner: string,
    private readonly log: WorkerLog,
  ) {
    this.checkpoint = chunk.checkpoint;
  }

  private get chunks() {
    return this.deps.chunking.chunks;
  }

  async run(): Promise<ProcessOutcome> {
    const { job, chunk } = this;
    this.log.info('chunk claimed', {
      jobId: job.id,
      chunk: chunk.ordinal,
      table: chunk.table,
      keyRange: [chunk.keyFrom, chunk.keyTo],
      resumed: chunk.checkpoint !== null,
      invocation: chunk.invocations,
    });
    if (job.status !== 'processing' || job.cancelRequested) return this.stopped();
    let spec: ChunkWriteSpec;
    try {
      spec = chunkSpecFor(job, chunk);
    } catch (error) {
      return this.failed(error);
    }

    const monitor = new ChunkMonitor(this.deps, this.input, chunk, this.owner, this.log);
    try {
      const outcome = await writeChunk(
        { database: this.deps.database, uploads: this.deps.chunking.uploads },
        spec,
        chunk.checkpoint,
        {
          signal: monitor.signal,
          shouldPause: () => monitor.shouldPause(),
          onProgress: (counts) => monitor.onProgress(counts),
          onCheckpoint: async (checkpoint) => {
            this.checkpoint = checkpoint;
            if (!(await this.chunks.checkpoint(job.id, chunk.ordinal, this.owner, checkpoint)))
              throw new LeaseLostError();
            monitor.partStored();
          },
        },
      );
      await monitor.stop();
      if (outcome.status === 'paused') return this.continueLater();
      const file = chunkFile(job, chunk, outcome);
      if (!(await this.chunks.complete(job.id, chunk.ordinal, this.owner, file))) {
        // Stopped or taken over meanwhile: this file is nobody's result.
        await this.deps.storeFor(this.deps.defaultBucket).delete(file.key);
        return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
      }
      this.log.info('chunk completed', {
        jobId: job.id,
        chunk: chunk.ordinal,
        rows: file.rows,
        bytes: file.bytes,
      });
      await recordChunkedProgress(this.deps, job.id, this.log);
      const settled = await settleChunkedJob(this.deps, job.id, this.owner, this.log);
      if (settled === 'cancelled') return { status: 'cancelled', jobId: job.id };
      if (settled) return { status: 'completed', jobId: job.id, result: settled.joined };
      return { status: 'chunk_completed', jobId: job.id, chunk: chunk.ordinal };
    } catch (thrown) {
      await monitor.stop();
      const error = monitor.reason ?? thrown;
      if (error instanceof ExportCancelledError) return this.stopped();
      if (error instanceof LeaseLostError) {
        this.log.warn('chunk lease lost; stopped', { jobId: job.id, chunk: chunk.ordinal });
        return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
      }
      if (error instanceof TimeBudgetExceededError && this.canContinue()) return this.continueLater();
      return this.failed(error);
    }
  }

  /** A chunk of a format that cannot continue a file restarts it; only as often as a message is received. */
  private canContinue(): boolean {
    return codecFor(this.job.format).continuable || this.chunk.invocations < this.input.maxReceiveCount;
  }

  /** Releases the chunk with its checkpoint and queues the message that continues it. */
  private async continueLater(): Promise<ProcessOutcome> {
    const { job, chunk } = this;
    if (!(await this.chunks.release(job.id, chunk.ordinal, this.owner)))
      return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
    await this.deps.chunking.queue.enqueue({ jobId: job.id, chunk: chunk.ordinal });
    this.deps.metrics.chunkOutcome(job.format, 'resumed');
    this.log.info('chunk paused at a part boundary; continuation queued', {
      jobId: job.id,
      chunk: chunk.ordinal,
      parts: this.checkpoint?.parts.length,
      rows: this.checkpoint?.rows,
    });
    return { status: 'chunk_paused', jobId: job.id, chunk: chunk.ordinal };
  }

  /** The job is being cancelled (or a sibling failed it): abort this chunk's upload and stop. */
  private async stopped(): Promise<ProcessOutcome> {
    const { job, chunk } = this;
    if (this.checkpoint) await dropUpload(this.deps, this.checkpoint, this.log);
    await this.chunks.markCancelled(job.id, chunk.ordinal, this.owner);
    await finishCancellation(this.deps, job.id, this.log);
    return { status: 'cancelled', jobId: job.id };
  }

  /** Releases and rethrows a retryable error, or fails the chunk and with it the job. */
  private async failed(thrown: unknown): Promise<ProcessOutcome> {
    const { job, chunk, input } = this;
    const error = toJobError(thrown);
    const lastReceive = input.receiveCount >= input.maxReceiveCount;
    if (error.retryable && !lastReceive) {
      this.log.warn('retryable chunk failure; released for redelivery', {
        jobId: job.id,
        chunk: chunk.ordinal,
        error,
        detail: errorDetail(thrown),
        receiveCount: input.receiveCount,
      });
      try {
        await this.chunks.release(job.id, chunk.ordinal, this.owner);
      } catch (releaseError) {
        this.log.warn('could not release the chunk', { jobId: job.id, detail: errorDetail(releaseError) });
      }
      throw thrown;
    }
    if (this.checkpoint) await dropUpload(this.deps, this.checkpoint, this.log);
    if (await this.chunks.fail(job.id, chunk.ordinal, this.owner, error)) {
      this.deps.metrics.chunkOutcome(job.format, 'failed');
      this.log.error('chunk failed; the job fails with it', {
        jobId: job.id,
        chunk: chunk.ordinal,
        error,
        detail: errorDetail(thrown),
      });
      await failChunkedJob(
        this.deps,
        job.id,
        error,
        { receiveCount: input.receiveCount, chunk: chunk.ordinal },
        this.log,
      );
    }
    if (error.retryable) throw thrown;
    return { status: 'failed', jobId: job.id, error };
  }
}
