import type { JSONValue, Sql } from 'postgres';
import { ConflictError } from '../../domain/errors.js';
import type { ExportJob, JobError } from '../../domain/jobs/export-job.js';
import {
  type CreateJobResult,
  decodeCursor,
  type ExportJobs,
  encodeCursor,
  type IdempotentJob,
  type JobListQuery,
  type JobMetrics,
  type JobPage,
  type MetricsBucket,
  type NewExportJob,
} from '../../domain/jobs/export-jobs.js';
import { specColumns } from '../../domain/jobs/job-spec.js';
import { translatePostgresError } from './errors.js';
import { type ExportJobRow, toExportJob as rowToJob } from './job-rows.js';

interface MetricsRow {
  kind: string | null;
  format: string | null;
  g_kind: number;
  g_format: number;
  total: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  queued: number;
  processing: number;
  avg_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  rows: string;
  bytes: string;
}

const json = (sql: Sql, value: unknown) => sql.json(value as JSONValue);
const roundMs = (value: number | null) => (value === null ? null : Math.round(Number(value)));

/** The ExportJobs port on Postgres (`export_jobs`). */
export class PostgresExportJobs implements ExportJobs {
  constructor(private readonly sql: Sql) {}

  async create(job: NewExportJob): Promise<CreateJobResult> {
    const sql = this.sql;
    try {
      const columns = specColumns(job.spec);
      for (let attempt = 0; attempt < 3; attempt++) {
        const [inserted] = await sql<ExportJobRow[]>`
          INSERT INTO export_jobs (kind, spec, tables, filters, format, compression, requested_by,
                                   requester_email, idempotency_key, request_hash)
          VALUES (${columns.kind}, ${json(sql, job.spec)}, ${json(sql, columns.tables)}, ${json(sql, columns.filters)},
                  ${columns.format}, ${columns.compression}, ${job.requestedBy}, ${job.requesterEmail},
                  ${job.idempotencyKey ?? null}, ${job.requestHash ?? null})
          ON CONFLICT (requested_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
          RETURNING *`;
        if (inserted) return { job: rowToJob(inserted), created: true };
        // The key is taken: the same request again returns its job, another request is a conflict.
        const [existing] = await sql<(ExportJobRow & { request_hash: string | null })[]>`
          SELECT * FROM export_jobs WHERE requested_by = ${job.requestedBy} AND idempotency_key = ${job.idempotencyKey ?? null}`;
        if (!existing) continue; // its key was released (failed enqueue) in between: insert again
        if (existing.request_hash !== (job.requestHash ?? null)) {
          throw new ConflictError('this Idempotency-Key was already used with a different request', {
            jobId: existing.id,
          });
        }
        return { job: rowToJob(existing), created: false };
      }
      throw new ConflictError('this Idempotency-Key is being reused concurrently; retry');
    } catch (error) {
      throw translatePostgresError(error, 'creating the export job');
    }
  }

  async findByIdempotencyKey(requestedBy: string, key: string): Promise<IdempotentJob | null> {
    try {
      const [row] = await this.sql<(ExportJobRow & { request_hash: string | null })[]>`
        SELECT * FROM export_jobs WHERE requested_by = ${requestedBy} AND idempotency_key = ${key}`;
      return row ? { ...rowToJob(row), requestHash: row.request_hash } : null;
    } catch (error) {
      throw translatePostgresError(error, 'reading the export job');
    }
  }

  async get(id: string): Promise<ExportJob | null> {
    try {
      const [row] = await this.sql<ExportJobRow[]>`SELECT * FROM export_jobs WHERE id = ${id}`;
      return row ? rowToJob(row) : null;
    } catch (error) {
      throw translatePostgresError(error, 'reading the export job');
    }
  }

  async list(query: JobListQuery): Promise<JobPage> {
    const sql = this.sql;
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    try {
      const rows = await sql<(ExportJobRow & { cursor_time: string })[]>`
        SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_time
        FROM export_jobs
        WHERE true
          ${query.requestedBy === undefined ? sql`` : sql`AND requested_by = ${query.requestedBy}`}
          ${query.status === undefined ? sql`` : sql`AND status = ${query.status}`}
          ${cursor === undefined ? sql`` : sql`AND (created_at, id) < (${cursor.createdAt}::timestamptz, ${cursor.id}::uuid)`}
        ORDER BY created_at DESC, id DESC
        LIMIT ${query.limit + 1}`;
      const page = rows.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        jobs: page.map(rowToJob),
        nextCursor:
          rows.length > query.limit && last
            ? encodeCursor({ createdAt: last.cursor_time, id: last.id })
            : null,
      };
    } catch (error) {
      throw translatePostgresError(error, 'listing export jobs');
    }
  }

  async requestCancel(id: string): Promise<ExportJob | null> {
    const sql = this.sql;
    try {
      // Every SET expression sees the row as it was, so `status` below is the status before the update.
      const [row] = await sql<ExportJobRow[]>`
        UPDATE export_jobs SET
          status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
          completed_at = CASE WHEN status = 'queued' THEN now() ELSE completed_at END,
          cancel_requested = true,
          updated_at = now()
        WHERE id = ${id} AND status IN ('queued', 'processing')
        RETURNING *`;
      if (row) return rowToJob(row);
      const [current] = await sql<{ status: string }[]>`SELECT status FROM export_jobs WHERE id = ${id}`;
      if (!current) return null;
      throw new ConflictError(`the export has already finished (${current.status})`, {
        status: current.status,
      });
    } catch (error) {
      throw translatePostgresError(error, 'cancelling the export job');
    }
  }

  async markEnqueueFailed(id: string, error: JobError): Promise<void> {
    try {
      await this.sql`
        UPDATE export_jobs
        SET status = 'failed', error = ${json(this.sql, error)}, idempotency_key = NULL,
            completed_at = now(), updated_at = now()
        WHERE id = ${id} AND status = 'queued'`;
    } catch (cause) {
      throw translatePostgresError(cause, 'marking the export job failed');
    }
  }

  async metrics(since: Date): Promise<JobMetrics> {
    try {
      const rows = await this.sql<MetricsRow[]>`
        WITH j AS (
          SELECT kind, format, status, rows_exported, bytes_written,
                 CASE WHEN status = 'completed' AND started_at IS NOT NULL
                      THEN extract(epoch FROM completed_at - started_at) * 1000 END AS duration_ms
          FROM export_jobs
          WHERE created_at >= ${since}
        )
        SELECT kind, format, GROUPING(kind) AS g_kind, GROUPING(format) AS g_format,
               count(*)::int AS total,
               count(*) FILTER (WHERE status = 'completed')::int AS succeeded,
               count(*) FILTER (WHERE status = 'failed')::int AS failed,
               count(*) FILTER (WHERE status = 'cancelled')::int AS cancelled,
               count(*) FILTER (WHERE status = 'queued')::int AS queued,
               count(*) FILTER (WHERE status = 'processing')::int AS processing,
               avg(duration_ms)::float8 AS avg_ms,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50_ms,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_ms,
               coalesce(sum(rows_exported), 0)::text AS rows,
               coalesce(sum(bytes_written), 0)::text AS bytes
        FROM j
        GROUP BY GROUPING SETS ((), (kind), (format))`;
      const bucket = (row: MetricsRow | undefined): MetricsBucket => ({
        total: row?.total ?? 0,
        succeeded: row?.succeeded ?? 0,
        failed: row?.failed ?? 0,
        cancelled: row?.cancelled ?? 0,
        queued: row?.queued ?? 0,
        processing: row?.processing ?? 0,
        durationMs: {
          avg: roundMs(row?.avg_ms ?? null),
          p50: roundMs(row?.p50_ms ?? null),
          p95: roundMs(row?.p95_ms ?? null),
        },
        rows: Number(row?.rows ?? 0),
        bytes: Number(row?.bytes ?? 0),
      });
      // GROUPING(x) is 1 where x was aggregated away: (1, 1) is the overall row.
      const overall = rows.find((r) => r.g_kind === 1 && r.g_format === 1);
      const byKind: Record<string, MetricsBucket> = {};
      const byFormat: Record<string, MetricsBucket> = {};
      for (const row of rows) {
        if (row.g_kind === 0 && row.g_format === 1 && row.kind !== null) byKind[row.kind] = bucket(row);
        if (row.g_kind === 1 && row.g_format === 0 && row.format !== null) byFormat[row.format] = bucket(row);
      }
      return { since: since.toISOString(), ...bucket(overall), byKind, byFormat };
    } catch (error) {
      throw translatePostgresError(error, 'computing export metrics');
    }
  }
}
