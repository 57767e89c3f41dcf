import type { Compression, ExportFormat } from '../../domain/engine/export-format.js';
import type {
  ExportJob,
  JobError,
  JobKind,
  JobProgress,
  JobResult,
  JobStatus,
} from '../../domain/jobs/export-job.js';
import { parseJobSpec } from '../../domain/jobs/job-spec.js';

/** An `export_jobs` row as postgres.js returns it (jsonb parsed, bigint as text). */
export interface ExportJobRow {
  id: string;
  kind: JobKind;
  spec: unknown;
  tables: string[];
  format: ExportFormat;
  compression: Compression;
  options: Record<string, unknown>;
  requested_by: string | null;
  requester_email: string | null;
  status: JobStatus;
  attempts: number;
  lease_until: Date | null;
  lease_owner: string | null;
  cancel_requested: boolean;
  rows_exported: string | number;
  bytes_written: string | number;
  progress: JobProgress | Record<string, never>;
  result: JobResult | null;
  error: JobError | null;
  schedule_name: string | null;
  scheduled_for: Date | null;
  idempotency_key: string | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  updated_at: Date;
}

/** Maps an `export_jobs` row to the domain's ExportJob. */
export function toExportJob(row: ExportJobRow): ExportJob {
  return {
    id: row.id,
    kind: row.kind,
    spec: parseJobSpec(row.spec),
    tables: row.tables,
    format: row.format,
    compression: row.compression,
    options: row.options ?? {},
    requestedBy: row.requested_by,
    requesterEmail: row.requester_email,
    status: row.status,
    attempts: row.attempts,
    leaseUntil: row.lease_until,
    cancelRequested: row.cancel_requested,
    rowsExported: Number(row.rows_exported),
    bytesWritten: Number(row.bytes_written),
    progress: row.progress ?? {},
    result: row.result,
    error: row.error,
    scheduleName: row.schedule_name,
    scheduledFor: row.scheduled_for,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    updatedAt: row.updated_at,
  };
}
