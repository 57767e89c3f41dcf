import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { catalogueTable } from '../../catalogue/catalogue.js';
import { attachmentDisposition } from '../../engine/content-disposition.js';
import { objectTypeFor } from '../../engine/export-format.js';
import { ValidationError } from '../../errors.js';
import type { ExportJob, JobError, JobFile, JobProgress, JobResult } from '../../jobs/export-job.js';
import { errorDetail } from '../../jobs/failure-reasons.js';
import type { ConsistencyMode } from '../../jobs/job-spec.js';
import type { WorkerLog } from '../../worker-log.js';
import { reportJobCancellation, reportJobCompletion, reportJobFailure } from '../job-outcomes.js';
import { bulkSpecOf } from '../job-plan.js';
import type { ChunkingDeps, ProcessExportJobDeps } from '../worker-deps.js';
import { chunkedJobFolder, chunkFileName, manifestKey } from './chunk-plan.js';
import type { ChunkWriteSpec } from './chunk-writer.js';
import {
  CHUNKED_JOB_OWNER,
  type ChunkCheckpoint,
  type ChunkSummary,
  type ExportChunk,
} from './export-chunks.js';

/** The file of one chunk: its table's slice of the job's request, written under the job's folder. */
export function chunkSpecFor(job: ExportJob, chunk: ExportChunk): ChunkWriteSpec {
  const spec = bulkSpecOf(job);
  const table = catalogueTable(chunk.table);
  if (!table || !spec.tables.includes(chunk.table))
    throw ValidationError.field('tables', `chunk of unknown table '${chunk.table}'`);
  const type = objectTypeFor(spec.format, spec.compression, 'single');
  const name = chunkFileName(chunk.table, chunk.part, type.extension);
  const exportedAt = chunk.plannedAt.toISOString();
  return {
    key: `${chunkedJobFolder(job.id)}/${name}`,
    object: {
      contentType: type.contentType,
      contentDisposition: attachmentDisposition(name.replace('/', '_')),
      metadata: { 'exported-at': exportedAt },
    },
    table,
    ...(spec.filters[chunk.table] && { filter: spec.filters[chunk.table] }),
    ...(spec.columns[chunk.table] && { columns: spec.columns[chunk.table] }),
    range: { from: chunk.keyFrom, to: chunk.keyTo },
    rowsEstimate: chunk.rowsEstimate,
    format: spec.format,
    compression: spec.compression,
    formulaGuard: spec.formulaGuard,
    exportedAt,
  };
}

/** The file entry of a finished chunk, as its manifest lists it. */
export function chunkFile(
  job: ExportJob,
  chunk: ExportChunk,
  written: { rows: number; bytes: number; sha256: string; etag: string },
): JobFile {
  const spec = chunkSpecFor(job, chunk);
  return {
    name: spec.key.slice(chunkedJobFolder(job.id).length + 1),
    key: spec.key,
    table: chunk.table,
    rows: written.rows,
    bytes: written.bytes,
    sha256: written.sha256,
    contentType: spec.object.contentType,
    etag: written.etag,
    keyRange: { from: chunk.keyFrom, to: chunk.keyTo },
  };
}

/**
 * A chunked job's progress: rows and chunks done against the planner's estimate, with an ETA
 * from the rate since planning. 100 % only once every chunk is done.
 */
export function chunkedProgress(summary: ChunkSummary, now: number): JobProgress {
  const rowsTotal = Math.max(summary.rowsEstimate, summary.rowsExported);
  const done = summary.chunksTotal > 0 && summary.chunksDone === summary.chunksTotal;
  const elapsed = summary.plannedAt ? now - summary.plannedAt.getTime() : 0;
  const eta =
    summary.rowsExported > 0 && elapsed > 0
      ? Math.ceil(((rowsTotal - summary.rowsExported) * elapsed) / summary.rowsExported / 1000)
      : undefined;
  return {
    rowsExported: summary.rowsExported,
    bytesWritten: summary.bytesWritten,
    tablesDone: summary.tablesDone,
    tablesTotal: summary.tablesTotal,
    rowsTotal,
    chunksDone: summary.chunksDone,
    chunksTotal: summary.chunksTotal,
    percent: done
      ? 100
      : rowsTotal === 0
        ? 0
        : Math.min(99, Math.floor((summary.rowsExported / rowsTotal) * 100)),
    ...(done ? { etaSeconds: 0 } : eta !== undefined && { etaSeconds: eta }),
  };
}

/** Writes the job's progress from its chunks (best effort: the next heartbeat writes it again). */
export async function recordChunkedProgress(
  deps: Pick<ProcessExportJobDeps, 'leases' | 'now'> & { readonly chunking: ChunkingDeps },
  jobId: string,
  log: WorkerLog,
): Promise<void> {
  try {
    const summary = await deps.chunking.chunks.summary(jobId);
    await deps.leases.recordProgress(
      jobId,
      CHUNKED_JOB_OWNER,
      chunkedProgress(summary, (deps.now ?? Date.now)()),
    );
  } catch (error) {
    log.warn('chunked progress not recorded', { jobId, detail: errorDetail(error) });
  }
}

/**
 * The manifest of a chunked job (docs/chunked-exports.md): one line per file, in the style of DynamoDB's
 * `manifest-files.json`, inside one JSON document.
 */
export function manifestText(
  job: ExportJob,
  files: readonly JobFile[],
  asOf: string,
  consistency: ConsistencyMode,
): string {
  const rows = files.reduce((n, f) => n + f.rows, 0);
  const bytes = files.reduce((n, f) => n + f.bytes, 0);
  const head = {
    jobId: job.id,
    format: job.format,
    compression: job.compression,
    asOf,
    consistency,
  };
  const lines = files.map(
    (f) =>
      `    ${JSON.stringify({ name: f.name, key: f.key, table: f.table, rows: f.rows, bytes: f.bytes, sha256: f.sha256, keyRange: f.keyRange ?? null })}`,
  );
  const start = JSON.stringify(head).slice(0, -1);
  return `${start},\n  "files": [\n${lines.join(',\n')}\n  ],\n  "totals": ${JSON.stringify({ rows, bytes })}\n}\n`;
}

type ChunkedDeps = ProcessExportJobDeps & { readonly chunking: ChunkingDeps };

/**
 * Joins a chunked job whose chunks are all done, exactly once: the caller that wins
 * `claimJoin` writes `manifest.json`, completes the job and reports the completion (one email,
 * one audit row). Any other caller, or one whose chunks are not all done, does nothing.
 */
export async function joinChunkedJob(
  deps: ChunkedDeps,
  jobId: string,
  owner: string,
  log: WorkerLog,
): Promise<JobResult | null> {
  const joiner = `join:${owner}`;
  const job = await deps.chunking.chunks.claimJoin(jobId, joiner, deps.settings.leaseSeconds);
  if (!job) return null;
  const chunks = await deps.chunking.chunks.list(jobId);
  const files = chunks.map((c) => c.result).filter((f): f is JobFile => f !== null);
  const asOf = (chunks[0]?.plannedAt ?? job.startedAt ?? new Date()).toISOString();
  const text = manifestText(job, files, asOf, bulkSpecOf(job).consistency);
  const key = manifestKey(jobId);
  const stored = await deps.storeFor(deps.defaultBucket).upload({
    key,
    body: Readable.from([Buffer.from(text)]),
    contentType: 'application/json; charset=utf-8',
    contentDisposition: attachmentDisposition('manifest.json'),
    metadata: { 'exported-at': asOf },
  });
  const tables = new Map<string, number>();
  for (const f of files) tables.set(f.table, (tables.get(f.table) ?? 0) + f.rows);
  const rows = files.reduce((n, f) => n + f.rows, 0);
  const bytes = files.reduce((n, f) => n + f.bytes, 0);
  const result: JobResult = {
    objectKey: key,
    fileName: 'manifest.json',
    contentType: 'application/json; charset=utf-8',
    bytes,
    sha256: createHash('sha256').update(text).digest('hex'),
    etag: stored.etag,
    rows,
    tables: [...tables].map(([name, n]) => ({ name, rows: n })),
    exportedAt: asOf,
    bucket: deps.defaultBucket,
    files,
  };
  const summary = await deps.chunking.chunks.summary(jobId);
  const progress = chunkedProgress(summary, (deps.now ?? Date.now)());
  if (!(await deps.leases.complete(jobId, joiner, result, progress))) {
    log.warn('join lost before completion; another worker completes the job', { jobId });
    return null;
  }
  const started = job.startedAt?.getTime() ?? (deps.now ?? Date.now)();
  await reportJobCompletion(
    deps,
    job,
    result,
    { durationMs: (deps.now ?? Date.now)() - started, chunks: chunks.length, attempt: job.attempts },
    log,
  );
  return result;
}

/**
 * What a chunk that stopped running settles for its job: the join when every chunk is done, or a
 * cancellation that waited for this chunk (requested while it ran, its siblings already stopped).
 */
export async function settleChunkedJob(
  deps: ChunkedDeps,
  jobId: string,
  owner: string,
  log: WorkerLog,
): Promise<{ readonly joined: JobResult } | 'cancelled' | null> {
  const joined = await joinChunkedJob(deps, jobId, owner, log);
  if (joined) return { joined };
  return (await finishCancellation(deps, jobId, log)) ? 'cancelled' : null;
}

/**
 * Stops what is left of a job that is being cancelled or failed: queued chunks become
 * `cancelled` (with `running`, running ones too) and the uploads their checkpoints held open are
 * aborted. Returns nothing; failures to abort are logged (the bucket's lifecycle rule ends them).
 */
export async function stopChunks(
  deps: ChunkedDeps,
  jobId: string,
  running: boolean,
  log: WorkerLog,
): Promise<void> {
  const stopped = await deps.chunking.chunks.stop(jobId, { running });
  for (const chunk of stopped) {
    if (chunk.checkpoint) await dropUpload(deps, chunk.checkpoint, log);
  }
}

/**
 * Drops what a stopped chunk's checkpoint holds: its open multipart upload, or the file it already
 * completed but never recorded. Logs instead of failing (the bucket's lifecycle rule ends both).
 */
export async function dropUpload(deps: ChunkedDeps, checkpoint: ChunkCheckpoint, log: WorkerLog) {
  const { key, uploadId } = checkpoint;
  try {
    if (checkpoint.completed) await deps.storeFor(deps.defaultBucket).delete(key);
    else await deps.chunking.uploads.abort(key, uploadId);
  } catch (error) {
    log.warn('could not drop the upload of a stopped chunk', { key, detail: errorDetail(error) });
  }
}

/** Removes every file the job's completed chunks wrote, and its manifest if any. */
export async function discardChunkFiles(deps: ChunkedDeps, jobId: string, log: WorkerLog): Promise<void> {
  const store = deps.storeFor(deps.defaultBucket);
  const chunks = await deps.chunking.chunks.list(jobId);
  const keys = [...chunks.flatMap((c) => (c.result ? [c.result.key] : [])), manifestKey(jobId)];
  for (const key of keys) {
    try {
      await store.delete(key);
    } catch (error) {
      log.warn('could not remove a file of a stopped job', { jobId, key, detail: errorDetail(error) });
    }
  }
}

/**
 * Completes a cancellation once no chunk runs any more: the job becomes `cancelled` (for the one
 * caller whose conditional update wins), its files are removed and the cancellation reported
 * (audit row and event). Does nothing for a job nobody cancelled, so every chunk that stops
 * running may call it: whichever settles last finishes the cancellation.
 */
export async function finishCancellation(deps: ChunkedDeps, jobId: string, log: WorkerLog): Promise<boolean> {
  await stopChunks(deps, jobId, false, log);
  const job = await deps.chunking.chunks.cancelIfStopped(jobId);
  if (!job) return false;
  log.info('export cancelled', { jobId });
  await discardChunkFiles(deps, jobId, log);
  await reportJobCancellation(deps, job, { attempt: job.attempts, chunked: true }, log);
  return true;
}

/**
 * Fails a chunked job for good because one of its chunks failed: the job becomes `failed` (for
 * the one caller that wins), every other chunk is stopped and its upload aborted, the files
 * already written are removed, and the failure reported once (metric, audit, email).
 */
export async function failChunkedJob(
  deps: ChunkedDeps,
  jobId: string,
  error: JobError,
  details: Record<string, unknown>,
  log: WorkerLog,
): Promise<boolean> {
  const job = await deps.chunking.chunks.failJob(jobId, error);
  if (!job) return false;
  await stopChunks(deps, jobId, true, log);
  await discardChunkFiles(deps, jobId, log);
  await reportJobFailure(deps, job, error, details, log);
  return true;
}
