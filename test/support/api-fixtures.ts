import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { Sql } from 'postgres';
import { inject } from 'vitest';
import { bulkSpec, scheduledSpec, userSpec } from './job-specs.js';
import { testS3 } from './services.js';

/** Inserts a job row directly (tests arrange jobs in any state) and returns its id. */
export async function insertJob(
  sql: Sql,
  job: {
    requestedBy: string;
    status?: string;
    kind?: string;
    format?: string;
    createdAt?: Date;
    startedAt?: Date | null;
    completedAt?: Date | null;
    rows?: number;
    bytes?: number;
    result?: Record<string, unknown> | null;
  },
): Promise<string> {
  const id = randomUUID();
  await sql`
    INSERT INTO export_jobs (id, kind, spec, tables, format, requested_by, status, created_at, started_at, completed_at,
                             rows_exported, bytes_written, result)
    VALUES (${id}, ${job.kind ?? 'bulk'}, ${sql.json(specFor(job.kind ?? 'bulk', job.format ?? 'csv') as never)}, ${sql.json(['users'])}, ${job.format ?? 'csv'}, ${job.requestedBy},
            ${job.status ?? 'queued'}, ${job.createdAt ?? new Date()}, ${job.startedAt ?? null}, ${job.completedAt ?? null},
            ${job.rows ?? 0}, ${job.bytes ?? 0}, ${job.result ? sql.json(job.result as never) : null})`;
  return id;
}

/** A completed job of `requestedBy` (null: a system job) whose file exists in the test bucket. */
export async function insertCompletedJob(
  sql: Sql,
  requestedBy: string | null,
  content = 'id\n1\n',
  kind: 'bulk' | 'scheduled' = 'bulk',
): Promise<string> {
  const id = randomUUID();
  const objectKey = `exports/${id}/users.csv`;
  await testS3().send(
    new PutObjectCommand({
      Bucket: inject('bucket'),
      Key: objectKey,
      Body: content,
      ContentType: 'text/csv',
    }),
  );
  await sql`
    INSERT INTO export_jobs (id, kind, spec, tables, format, requested_by, status, started_at, completed_at, result)
    VALUES (${id}, ${kind}, ${sql.json(specFor(kind, 'csv') as never)}, ${sql.json(['users'])}, 'csv', ${requestedBy}, 'completed', now(), now(),
            ${sql.json({
              objectKey,
              fileName: 'users.csv',
              contentType: 'text/csv; charset=utf-8',
              bytes: content.length,
              sha256: 'x',
              rows: 1,
              tables: [{ name: 'users', rows: 1 }],
              exportedAt: new Date().toISOString(),
            })})`;
  return id;
}

export async function jobCount(sql: Sql, requestedBy: readonly string[]): Promise<number> {
  const [row] = await sql<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM export_jobs WHERE requested_by IN ${sql(requestedBy)}`;
  return row!.n;
}

export async function auditRows(
  sql: Sql,
  where: { userId?: string | null; jobId?: string; action?: string; since: Date },
): Promise<
  { user_id: string | null; action: string; status: string; export_type: string; job_id: string | null }[]
> {
  return sql`
    SELECT user_id, action, status, export_type, job_id FROM export_audit_log
    WHERE created_at >= ${where.since}
      ${where.userId === undefined ? sql`` : where.userId === null ? sql`AND user_id IS NULL` : sql`AND user_id = ${where.userId}`}
      ${where.jobId === undefined ? sql`` : sql`AND job_id = ${where.jobId}`}
      ${where.action === undefined ? sql`` : sql`AND action = ${where.action}`}
    ORDER BY id`;
}

/** The spec of a job a test inserts: what its kind and format say, of `users`. */
function specFor(kind: string, format: string) {
  if (kind === 'user') return userSpec('0f8fad5b-d9cb-469f-a165-70867728950e', { format: format as 'csv' });
  if (kind === 'scheduled') return scheduledSpec({ tables: ['users'], format: format as 'csv' });
  return bulkSpec({ format: format as 'csv' });
}
