import type { ExportDatabase } from '../engine/ports.js';
import { LeaseLostError } from '../errors.js';
import type { ExportJob } from '../jobs/export-job.js';
import { errorDetail } from '../jobs/failure-reasons.js';
import type { WorkerLog } from '../worker-log.js';
import { needsChunks, planChunks } from './chunks/chunk-plan.js';
import { writeChunk } from './chunks/chunk-writer.js';
import {
  chunkedProgress,
  chunkFile,
  chunkSpecFor,
  discardChunkFiles,
  dropUpload,
  joinChunkedJob,
} from './chunks/chunked-job.js';
import { type ChunkCheckpoint, type ExportChunk, isChunkClaimSkipped } from './chunks/export-chunks.js';
import { estimateTables } from './chunks/job-split.js';
import type { JobMonitor } from './job-monitor.js';
import { bulkSpecOf } from './job-plan.js';
import type { ChunkingDeps, ProcessExportJobDeps, ProcessOutcome } from './worker-deps.js';

type ChunkedDeps = ProcessExportJobDeps & { readonly chunking: ChunkingDeps };

/**
 * Writes a bulk job of consistency `snapshot` (docs/chunked-exports.md), as `pg_dump -j` does: this invocation
 * exports one snapshot (held by its own transaction), plans the chunks from it, and writes them on
 * `snapshotReaders` connections at once, each joining that snapshot, so that every file shows the
 * same instant. The job stays this worker's meanwhile (`monitor` renews its lease, learns of a
 * cancellation and watches the time budget); once every chunk is written it is handed to its
 * chunks and joined like any chunked job (one manifest, one email). A snapshot cannot outlive its
 * transaction, so nothing continues in another invocation: on any error the uploads are aborted,
 * the files and chunk rows removed, and the error rethrown for the caller to release, retry (a new
 * attempt plans again under a new snapshot), cancel or fail the job (out of time, the caller
 * fails it as `SnapshotTooLongError`).
 *
 * Returns null when no table is above `chunkRows`: one object is written in one snapshot anyway.
 */
export async function runSnapshotJob(
  deps: ChunkedDeps,
  job: ExportJob,
  owner: string,
  monitor: JobMonitor,
  log: WorkerLog,
): Promise<ProcessOutcome | null> {
  const { chunking } = deps;
  const spec = bulkSpecOf(job);
  // Chunks of an earlier attempt were read in another snapshot: they are never reused.
  await discardChunks(deps, job.id, owner, [], log);
  const stop = new AbortController();
  const signal = AbortSignal.any([monitor.signal, stop.signal]);
  const open = new Map<number, ChunkCheckpoint>();
  let chunks: ExportChunk[] | null = null;
  try {
    chunks = await chunking.snapshots.withSharedSnapshot(async (snapshot, shared) => {
      const estimates = await estimateTables(snapshot, spec);
      if (!needsChunks(estimates, chunking.chunkRows)) return null;
      const planned = await chunking.chunks.plan(job.id, owner, planChunks(estimates, chunking.chunkRows));
      if (!planned) throw new LeaseLostError();
      log.info('snapshot job planned', {
        jobId: job.id,
        chunks: planned.length,
        readers: chunking.snapshotReaders,
        rowsEstimate: estimates.reduce((n, e) => n + e.rows, 0),
      });
      const reader: ExportDatabase =
        chunking.snapshotReaders > 0
          ? { withSnapshot: (work) => deps.database.withSnapshot(work, { shared }) }
          : // No connection besides the snapshot's own: its holder reads every chunk, one by one.
            { withSnapshot: (work) => work(snapshot) };
      const progress = new SnapshotProgress(planned, monitor);
      await inParallel(planned, Math.max(1, chunking.snapshotReaders), stop, async (chunk) => {
        const readerOwner = `${owner}/chunk-${chunk.ordinal}`;
        const claim = await chunking.chunks.claim(
          job.id,
          chunk.ordinal,
          readerOwner,
          deps.settings.leaseSeconds,
        );
        if (isChunkClaimSkipped(claim)) throw new LeaseLostError();
        const outcome = await writeChunk(
          { database: reader, uploads: chunking.uploads },
          chunkSpecFor(job, claim.chunk),
          null,
          {
            signal,
            onProgress: (counts) => progress.update(chunk.ordinal, counts),
            onCheckpoint: async (checkpoint) => {
              open.set(chunk.ordinal, checkpoint);
              if (!(await chunking.chunks.checkpoint(job.id, chunk.ordinal, readerOwner, checkpoint)))
                throw new LeaseLostError();
            },
          },
        );
        if (outcome.status !== 'done') throw new Error('a snapshot chunk never pauses');
        open.delete(chunk.ordinal);
        const file = chunkFile(job, claim.chunk, outcome);
        if (!(await chunking.chunks.complete(job.id, chunk.ordinal, readerOwner, file))) {
          await deps.storeFor(deps.defaultBucket).delete(file.key);
          throw new LeaseLostError();
        }
        progress.completed(chunk.ordinal, file);
      });
      return planned;
    });
  } catch (thrown) {
    stop.abort();
    const reason = monitor.reason ?? thrown;
    log.warn('snapshot job stopped; its chunks are discarded', {
      jobId: job.id,
      detail: errorDetail(reason),
    });
    try {
      await discardChunks(deps, job.id, owner, [...open.values()], log);
    } catch (error) {
      // The next attempt discards them before planning again.
      log.warn('could not discard the chunks of a stopped snapshot job', {
        jobId: job.id,
        detail: errorDetail(error),
      });
    }
    throw reason;
  }
  if (!chunks) return null;

  await monitor.stop();
  if (!(await chunking.chunks.handOver(job.id, owner)))
    return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
  const result = await joinChunkedJob(deps, job.id, owner, log);
  if (result) return { status: 'completed', jobId: job.id, result };
  return { status: 'split', jobId: job.id, chunks: chunks.length };
}

/**
 * Removes what chunks of the job left behind (open uploads: those of the checkpoints stored and
 * of `open`; written files; the chunk rows), while `owner` holds the job. Failures to abort or
 * delete are logged: the bucket's lifecycle rule ends forgotten uploads.
 */
async function discardChunks(
  deps: ChunkedDeps,
  jobId: string,
  owner: string,
  open: readonly ChunkCheckpoint[],
  log: WorkerLog,
): Promise<void> {
  const stored = await deps.chunking.chunks.list(jobId);
  if (stored.length === 0 && open.length === 0) return;
  const uploads = new Map<string, ChunkCheckpoint>();
  for (const checkpoint of [...stored.map((c) => c.checkpoint), ...open])
    if (checkpoint) uploads.set(checkpoint.uploadId, checkpoint);
  for (const checkpoint of uploads.values()) await dropUpload(deps, checkpoint, log);
  await discardChunkFiles(deps, jobId, log);
  await deps.chunking.chunks.discard(jobId, owner);
}

/** Runs `work` on each item, at most `limit` at once; the first failure stops the rest (`stop`). */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  stop: AbortController,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const lane = async () => {
    while (!failure && !stop.signal.aborted && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
        stop.abort(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failure) throw failure.error;
  if (stop.signal.aborted) throw stop.signal.reason;
}

/** The job's progress from its chunks' counts (as `chunkedProgress` reads it), handed to the job's monitor. */
class SnapshotProgress {
  private readonly counts = new Map<number, { rows: number; bytes: number }>();
  private readonly done = new Set<number>();

  constructor(
    private readonly chunks: readonly ExportChunk[],
    private readonly monitor: JobMonitor,
  ) {}

  update(ordinal: number, counts: { readonly rows: number; readonly bytes: number }): void {
    this.counts.set(ordinal, { rows: counts.rows, bytes: counts.bytes });
    this.report();
  }

  completed(ordinal: number, file: { readonly rows: number; readonly bytes: number }): void {
    this.done.add(ordinal);
    this.update(ordinal, file);
  }

  private report(): void {
    let rows = 0;
    let bytes = 0;
    for (const c of this.counts.values()) {
      rows += c.rows;
      bytes += c.bytes;
    }
    const tables = new Set(this.chunks.map((c) => c.table));
    const open = new Set(this.chunks.filter((c) => !this.done.has(c.ordinal)).map((c) => c.table));
    const progress = chunkedProgress(
      {
        chunksTotal: this.chunks.length,
        chunksDone: this.done.size,
        tablesTotal: tables.size,
        tablesDone: tables.size - open.size,
        rowsExported: rows,
        bytesWritten: bytes,
        rowsEstimate: this.chunks.reduce((n, c) => n + c.rowsEstimate, 0),
        // The monitor computes the ETA from its own start.
        plannedAt: null,
      },
      0,
    );
    this.monitor.onProgress({ ...progress, rowsTotal: progress.rowsTotal ?? rows });
  }
}
