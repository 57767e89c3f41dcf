import type { JSONValue, Sql } from 'postgres';
import { type ExportJobRow, toExportJob } from '../../functions/adapters/postgres/job-rows.js';
import type { ExportJob } from '../../functions/domain/jobs/export-job.js';
import { specColumns } from '../../functions/domain/jobs/job-spec.js';

/** What a row holds besides the domain's ExportJob. */
export interface JobRowExtras {
  /** The worker holding the lease. @default null */
  readonly leaseOwner?: string | null;
  /** The idempotency fingerprint of the request that created the job. @default null */
  readonly requestHash?: string | null;
}

const json = (sql: Sql, value: unknown) => sql.json(value as JSONValue);

/**
 * Inserts `job` into `export_jobs` exactly as given (any status, lease and timestamps), as the
 * database owner: how a test arranges the state an in-memory fake's `add`/`put` arranges.
 */
export async function insertJobRow(sql: Sql, job: ExportJob, extras: JobRowExtras = {}): Promise<void> {
  await sql`
    INSERT INTO export_jobs (
      id, kind, spec, tables, filters, format, compression, options, requested_by, requester_email, status,
      attempts, lease_until, lease_owner, cancel_requested, rows_exported, bytes_written, progress,
      result, error, schedule_name, scheduled_for, idempotency_key, request_hash, created_at,
      started_at, completed_at, updated_at)
    VALUES (
      ${job.id}, ${job.kind}, ${json(sql, job.spec)}, ${json(sql, job.tables)},
      ${json(sql, specColumns(job.spec).filters)}, ${job.format},
      ${job.compression}, ${json(sql, job.options)}, ${job.requestedBy}, ${job.requesterEmail}, ${job.status},
      ${job.attempts}, ${job.leaseUntil}, ${extras.leaseOwner ?? null}, ${job.cancelRequested},
      ${job.rowsExported}, ${job.bytesWritten}, ${json(sql, job.progress)},
      ${job.result === null ? null : json(sql, job.result)}, ${job.error === null ? null : json(sql, job.error)},
      ${job.scheduleName}, ${job.scheduledFor}, ${job.idempotencyKey}, ${extras.requestHash ?? null},
      ${job.createdAt}, ${job.startedAt}, ${job.completedAt}, ${job.updatedAt})`;
}

/** The job as stored, read as the database owner; undefined when there is no such row. */
export async function readJobRow(sql: Sql, id: string): Promise<ExportJob | undefined> {
  const [row] = await sql<ExportJobRow[]>`SELECT * FROM export_jobs WHERE id = ${id}`;
  return row && toExportJob(row);
}
