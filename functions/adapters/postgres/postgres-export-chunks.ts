import type { Sql, TransactionSql } from 'postgres';
import type { ExportJob, JobError, JobFile, JobStatus } from '../../domain/jobs/export-job.js';
import type { LeaseState } from '../../domain/jobs/job-leases.js';
import {
  CHUNKED_JOB_OWNER,
  type ChunkCheckpoint,
  type ChunkClaim,
  type ChunkClaimSkipped,
  type ChunkSummary,
  type ExportChunk,
  type ExportChunkResult,
  type ExportChunks,
  type PlannedChunk,
} from '../../domain/worker/chunks/export-chunks.js';
import { translatePostgresError } from './errors.js';
import { type ExportJobRow, toExportJob } from './job-rows.js';

interface ChunkRow {
  job_id: string;
  ordinal: number;
  table_name: string;
  part: number;
  key_from: string | null;
  key_to: string | null;
  rows_estimate: string | number;
  planned_at: Date;
  status: JobStatus;
  attempts: number;
  invocations: number;
  rows_exported: string | number;
  bytes_written: string | number;
  checkpoint: ChunkCheckpoint | null;
  result: JobFile | null;
  error: JobError | null;
}

function toChunk(row: ChunkRow): ExportChunk {
  return {
    jobId: row.job_id,
    ordinal: row.ordinal,
    table: row.table_name,
    part: row.part,
    keyFrom: row.key_from,
    keyTo: row.key_to,
    rowsEstimate: Number(row.rows_estimate),
    plannedAt: row.planned_at,
    status: row.status,
    attempts: row.attempts,
    invocations: row.invocations,
    rowsExported: Number(row.rows_exported),
    bytesWritten: Number(row.bytes_written),
    checkpoint: row.checkpoint,
    result: row.result,
    error: row.error,
  };
}

const CHUNK_COLUMNS = `job_id, ordinal, table_name, part, key_from, key_to, rows_estimate, planned_at, status,
  attempts, invocations, rows_exported, bytes_written, checkpoint, result, error`;

/** The ExportChunks port on `export_chunks` (and the chunked job's row in `export_jobs`). */
export class PostgresExportChunks implements ExportChunks {
  constructor(private readonly sql: Sql) {}

  plan(jobId: string, owner: string, chunks: readonly PlannedChunk[]): Promise<ExportChunk[] | null> {
    return this.run(
      'planning chunks',
      (sql) =>
        sql.begin(async (tx) => {
          const [job] = await tx`
          SELECT id FROM export_jobs
          WHERE id = ${jobId}::uuid AND status = 'processing' AND lease_owner = ${owner}
          FOR UPDATE`;
          if (!job) return null;
          for (const c of chunks) {
            await tx`
            INSERT INTO export_chunks (job_id, ordinal, table_name, part, key_from, key_to, rows_estimate)
            VALUES (${jobId}::uuid, ${c.ordinal}, ${c.table}, ${c.part}, ${c.keyFrom}, ${c.keyTo}, ${c.rowsEstimate})
            ON CONFLICT (job_id, ordinal) DO NOTHING`;
          }
          return this.listIn(tx, jobId);
        }) as Promise<ExportChunk[] | null>,
    );
  }

  handOver(jobId: string, owner: string): Promise<boolean> {
    return this.run('handing a job to its chunks', async (sql) => {
      const rows = await sql`
        UPDATE export_jobs
        SET lease_owner = ${CHUNKED_JOB_OWNER}, lease_until = 'infinity', updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing' AND lease_owner = ${owner}
        RETURNING id`;
      return rows.length === 1;
    });
  }

  claim(
    jobId: string,
    ordinal: number,
    owner: string,
    leaseSeconds: number,
  ): Promise<ChunkClaim | ChunkClaimSkipped> {
    return this.run('claiming a chunk', async (sql) => {
      const [row] = await sql<ChunkRow[]>`
        UPDATE export_chunks
        SET status = 'processing', attempts = attempts + 1, invocations = invocations + 1,
            lease_owner = ${owner}, lease_until = now() + ${leaseSeconds}::int * interval '1 second',
            updated_at = now()
        WHERE job_id = ${jobId}::uuid AND ordinal = ${ordinal}
          AND (status = 'queued' OR (status = 'processing' AND lease_until < now()))
        RETURNING ${sql.unsafe(CHUNK_COLUMNS)}`;
      if (!row) {
        const [current] = await sql<{ status: JobStatus }[]>`
          SELECT status FROM export_chunks WHERE job_id = ${jobId}::uuid AND ordinal = ${ordinal}`;
        if (!current) return { skipped: 'not_found' } as const;
        return { skipped: current.status === 'processing' ? 'leased' : 'finished' } as const;
      }
      const [job] = await sql<ExportJobRow[]>`SELECT * FROM export_jobs WHERE id = ${jobId}::uuid`;
      if (!job) return { skipped: 'not_found' } as const;
      return { chunk: toChunk(row), job: toExportJob(job) };
    });
  }

  heartbeat(
    jobId: string,
    ordinal: number,
    owner: string,
    counts: { readonly rows: number; readonly bytes: number },
    leaseSeconds: number,
  ): Promise<LeaseState> {
    return this.run('recording chunk progress', async (sql) => {
      const [row] = await sql<{ stop: boolean }[]>`
        UPDATE export_chunks c
        SET rows_exported = ${counts.rows}, bytes_written = ${counts.bytes},
            lease_until = now() + ${leaseSeconds}::int * interval '1 second', updated_at = now()
        FROM export_jobs j
        WHERE c.job_id = ${jobId}::uuid AND c.ordinal = ${ordinal} AND c.status = 'processing'
          AND c.lease_owner = ${owner} AND j.id = c.job_id
        RETURNING (j.cancel_requested OR j.status <> 'processing') AS stop`;
      return { held: !!row, cancelRequested: row?.stop ?? false };
    });
  }

  checkpoint(jobId: string, ordinal: number, owner: string, checkpoint: ChunkCheckpoint): Promise<boolean> {
    return this.change(
      'saving a checkpoint',
      jobId,
      ordinal,
      owner,
      (sql) =>
        sql`checkpoint = ${this.json(checkpoint)}, rows_exported = ${checkpoint.rows},
          bytes_written = ${checkpoint.bytes}`,
      true,
    );
  }

  release(jobId: string, ordinal: number, owner: string): Promise<boolean> {
    return this.change('releasing a chunk', jobId, ordinal, owner, (sql) => sql`status = 'queued'`);
  }

  complete(jobId: string, ordinal: number, owner: string, file: ExportChunkResult): Promise<boolean> {
    return this.change(
      'completing a chunk',
      jobId,
      ordinal,
      owner,
      (sql) => sql`status = 'completed', result = ${this.json(file)}, rows_exported = ${file.rows},
                   bytes_written = ${file.bytes}, checkpoint = NULL`,
    );
  }

  fail(jobId: string, ordinal: number, owner: string, error: JobError): Promise<boolean> {
    return this.change(
      'failing a chunk',
      jobId,
      ordinal,
      owner,
      (sql) => sql`status = 'failed', error = ${this.json(error)}`,
    );
  }

  markCancelled(jobId: string, ordinal: number, owner: string): Promise<boolean> {
    return this.change('cancelling a chunk', jobId, ordinal, owner, (sql) => sql`status = 'cancelled'`);
  }

  stop(jobId: string, options: { readonly running: boolean }): Promise<ExportChunk[]> {
    const statuses = options.running ? ['queued', 'processing'] : ['queued'];
    return this.run('stopping chunks', async (sql) => {
      const rows = await sql<ChunkRow[]>`
        UPDATE export_chunks SET status = 'cancelled', lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE job_id = ${jobId}::uuid AND status = ANY(${statuses}::text[])
          AND EXISTS (SELECT 1 FROM export_jobs j WHERE j.id = ${jobId}::uuid
                      AND (j.cancel_requested OR j.status <> 'processing'))
        RETURNING ${sql.unsafe(CHUNK_COLUMNS)}`;
      return rows.map(toChunk).sort((a, b) => a.ordinal - b.ordinal);
    });
  }

  list(jobId: string): Promise<ExportChunk[]> {
    return this.run('listing chunks', (sql) => this.listIn(sql, jobId));
  }

  summary(jobId: string): Promise<ChunkSummary> {
    return this.run('summing chunks', async (sql) => {
      const [row] = await sql<
        {
          chunks_total: number;
          chunks_done: number;
          tables_total: number;
          tables_done: number;
          rows_exported: string;
          bytes_written: string;
          rows_estimate: string;
          planned_at: Date | null;
        }[]
      >`
        SELECT count(*)::int AS chunks_total,
               count(*) FILTER (WHERE status = 'completed')::int AS chunks_done,
               count(DISTINCT table_name)::int AS tables_total,
               (SELECT count(*)::int FROM (
                  SELECT table_name FROM export_chunks WHERE job_id = ${jobId}::uuid
                  GROUP BY table_name HAVING bool_and(status = 'completed')) t) AS tables_done,
               coalesce(sum(rows_exported), 0)::text AS rows_exported,
               coalesce(sum(bytes_written), 0)::text AS bytes_written,
               coalesce(sum(rows_estimate), 0)::text AS rows_estimate,
               min(planned_at) AS planned_at
        FROM export_chunks WHERE job_id = ${jobId}::uuid`;
      return {
        chunksTotal: row?.chunks_total ?? 0,
        chunksDone: row?.chunks_done ?? 0,
        tablesTotal: row?.tables_total ?? 0,
        tablesDone: row?.tables_done ?? 0,
        rowsExported: Number(row?.rows_exported ?? 0),
        bytesWritten: Number(row?.bytes_written ?? 0),
        rowsEstimate: Number(row?.rows_estimate ?? 0),
        plannedAt: row?.planned_at ?? null,
      };
    });
  }

  claimJoin(jobId: string, owner: string, leaseSeconds: number): Promise<ExportJob | null> {
    return this.run('joining chunks', async (sql) => {
      const [row] = await sql<ExportJobRow[]>`
        UPDATE export_jobs
        SET lease_owner = ${owner}, lease_until = now() + ${leaseSeconds}::int * interval '1 second',
            updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing'
          AND (lease_owner = ${CHUNKED_JOB_OWNER}
               OR (lease_owner LIKE 'join:%' AND lease_until < now()))
          AND NOT EXISTS (SELECT 1 FROM export_chunks
                          WHERE job_id = ${jobId}::uuid AND status <> 'completed')
          AND EXISTS (SELECT 1 FROM export_chunks WHERE job_id = ${jobId}::uuid)
        RETURNING *`;
      return row ? toExportJob(row) : null;
    });
  }

  cancelIfStopped(jobId: string): Promise<ExportJob | null> {
    return this.run('cancelling a chunked job', async (sql) => {
      const [row] = await sql<ExportJobRow[]>`
        UPDATE export_jobs
        SET status = 'cancelled', completed_at = now(), lease_until = NULL, lease_owner = NULL, updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing' AND cancel_requested
          AND lease_owner = ${CHUNKED_JOB_OWNER}
          AND NOT EXISTS (SELECT 1 FROM export_chunks
                          WHERE job_id = ${jobId}::uuid AND status IN ('queued', 'processing'))
        RETURNING *`;
      return row ? toExportJob(row) : null;
    });
  }

  touchStale(before: Date, limit: number): Promise<{ jobId: string; ordinal: number }[]> {
    return this.run('sweeping stale chunks', async (sql) => {
      const rows = await sql<{ job_id: string; ordinal: number }[]>`
        UPDATE export_chunks SET updated_at = now()
        WHERE (job_id, ordinal) IN (
            SELECT c.job_id, c.ordinal FROM export_chunks c JOIN export_jobs j ON j.id = c.job_id
            WHERE j.status = 'processing' AND j.lease_owner = ${CHUNKED_JOB_OWNER}
              AND c.updated_at < ${before}::timestamptz
              AND (c.status = 'queued' OR (c.status = 'processing' AND c.lease_until < ${before}::timestamptz))
            ORDER BY c.updated_at
            LIMIT ${limit}
            FOR UPDATE OF c SKIP LOCKED)
        RETURNING job_id, ordinal`;
      return rows.map((row) => ({ jobId: row.job_id, ordinal: row.ordinal }));
    });
  }

  discard(jobId: string, owner: string): Promise<boolean> {
    return this.run('discarding chunks', async (sql) => {
      const [row] = await sql<{ held: boolean }[]>`
        WITH job AS (
          SELECT id FROM export_jobs
          WHERE id = ${jobId}::uuid AND status = 'processing' AND lease_owner = ${owner}),
        gone AS (DELETE FROM export_chunks WHERE job_id IN (SELECT id FROM job))
        SELECT EXISTS (SELECT 1 FROM job) AS held`;
      return row?.held ?? false;
    });
  }

  failJob(jobId: string, error: JobError): Promise<ExportJob | null> {
    return this.run('failing a chunked job', async (sql) => {
      const [row] = await sql<ExportJobRow[]>`
        UPDATE export_jobs
        SET status = 'failed', error = ${this.json(error)}, completed_at = now(),
            lease_until = NULL, lease_owner = NULL, updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing'
          AND (lease_owner = ${CHUNKED_JOB_OWNER} OR lease_owner LIKE 'join:%')
        RETURNING *`;
      return row ? toExportJob(row) : null;
    });
  }

  private async listIn(sql: Sql | TransactionSql, jobId: string): Promise<ExportChunk[]> {
    const rows = await sql<ChunkRow[]>`
      SELECT ${sql.unsafe(CHUNK_COLUMNS)} FROM export_chunks WHERE job_id = ${jobId}::uuid ORDER BY ordinal`;
    return rows.map(toChunk);
  }

  /** One conditional update of a chunk its lease holder still holds. */
  private change(
    what: string,
    jobId: string,
    ordinal: number,
    owner: string,
    set: (sql: Sql) => ReturnType<Sql>,
    keepLease = false,
  ): Promise<boolean> {
    return this.run(what, async (sql) => {
      const lease = keepLease ? sql`` : sql`, lease_owner = NULL, lease_until = NULL`;
      const rows = await sql`
        UPDATE export_chunks SET ${set(sql)} ${lease}, updated_at = now()
        WHERE job_id = ${jobId}::uuid AND ordinal = ${ordinal} AND status = 'processing'
          AND lease_owner = ${owner}
        RETURNING ordinal`;
      return rows.length === 1;
    });
  }

  private json(value: unknown) {
    return this.sql.json(value as Parameters<Sql['json']>[0]);
  }

  private async run<T>(what: string, work: (sql: Sql) => Promise<T>): Promise<T> {
    try {
      return await work(this.sql);
    } catch (error) {
      throw translatePostgresError(error, what);
    }
  }
}
