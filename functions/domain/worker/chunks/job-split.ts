import { catalogueTable } from '../../catalogue/catalogue.js';
import { tableSource } from '../../catalogue/table-source.js';
import type { Snapshot } from '../../engine/ports.js';
import type { ExportJob } from '../../jobs/export-job.js';
import type { BulkJobSpec } from '../../jobs/job-spec.js';
import type { WorkerLog } from '../../worker-log.js';
import { bulkSpecOf } from '../job-plan.js';
import type { ChunkingDeps, ProcessExportJobDeps, ProcessOutcome } from '../worker-deps.js';
import { needsChunks, planChunks, type TableEstimate } from './chunk-plan.js';
import { joinChunkedJob, recordChunkedProgress } from './chunked-job.js';

/**
 * Plans a bulk job from the planner's estimates and key statistics (no pass over the data): when
 * a table is above `chunkRows`, or `force` (the job could not finish as one object in one
 * invocation), the job is split into key-range chunks, one message each, and handed to them.
 * Returns null when the job stays one object, for the caller to write it.
 */
export async function splitJob(
  deps: ProcessExportJobDeps & { readonly chunking: ChunkingDeps },
  job: ExportJob,
  owner: string,
  log: WorkerLog,
  force = false,
): Promise<ProcessOutcome | null> {
  const spec = bulkSpecOf(job);
  const estimates = await deps.database.withSnapshot((snapshot) => estimateTables(snapshot, spec));
  const { chunking } = deps;
  if (!force && !needsChunks(estimates, chunking.chunkRows)) return null;

  const chunks = await chunking.chunks.plan(job.id, owner, planChunks(estimates, chunking.chunkRows));
  if (!chunks) return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
  // The messages go out before the hand-over: should sending fail, the job is still this
  // worker's, its release lets the redelivered message plan again, and the plan is kept.
  for (const chunk of chunks) {
    if (chunk.status === 'queued') await chunking.queue.enqueue({ jobId: job.id, chunk: chunk.ordinal });
  }
  if (!(await chunking.chunks.handOver(job.id, owner)))
    return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
  log.info('job split into chunks', {
    jobId: job.id,
    chunks: chunks.length,
    rowsEstimate: estimates.reduce((n, e) => n + e.rows, 0),
    forced: force,
  });
  await recordChunkedProgress(deps, job.id, log);
  // Chunks that all finished before the hand-over could not join the job: join it now.
  const result = await joinChunkedJob(deps, job.id, owner, log);
  if (result) return { status: 'completed', jobId: job.id, result };
  return { status: 'split', jobId: job.id, chunks: chunks.length };
}

/** What planning knows of each table of a job: the planner's estimate and key statistics. */
export async function estimateTables(snapshot: Snapshot, spec: BulkJobSpec): Promise<TableEstimate[]> {
  const out: TableEstimate[] = [];
  for (const name of spec.tables) {
    const table = catalogueTable(name)!;
    const source = tableSource(table, spec.filters[name], spec.columns[name]);
    out.push({
      table,
      rows: await snapshot.estimate(source),
      keys: await snapshot.keyStats(table.name, table.primaryKey),
    });
  }
  return out;
}
