import type { Sql } from 'postgres';
import {
  type ExportJob,
  FINISHED_STATUSES,
  type JobError,
  type JobProgress,
  type JobResult,
  type JobStatus,
} from '../../domain/jobs/export-job.js';
import type {
  ClaimSkipped,
  ExpiredLeaseCriteria,
  JobLeases,
  LeaseState,
  ScheduledJobInput,
  ScheduledRunOutcome,
  StaleQueuedCriteria,
} from '../../domain/jobs/job-leases.js';
import { specColumns } from '../../domain/jobs/job-spec.js';
import { translatePostgresError } from './errors.js';
import { type ExportJobRow, toExportJob } from './job-rows.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The JobLeases port on `export_jobs`. Each method is a single conditional statement: the claim
 * takes a job only from `queued` or an expired lease, and every later change requires
 * `status = 'processing' AND lease_owner = owner`, so a worker that lost its lease changes nothing.
 */
export class PostgresJobLeases implements JobLeases {
  constructor(private readonly sql: Sql) {}

  async claim(jobId: string, owner: string, leaseSeconds: number): Promise<ExportJob | ClaimSkipped> {
    if (!UUID.test(jobId)) return { skipped: 'not_found' };
    return this.run('claiming a job', async (sql) => {
      const [row] = await sql<ExportJobRow[]>`
        UPDATE export_jobs
        SET status = 'processing', attempts = attempts + 1, lease_owner = ${owner},
            lease_until = now() + ${leaseSeconds}::int * interval '1 second',
            started_at = now(), progress = '{}', rows_exported = 0, bytes_written = 0, updated_at = now()
        WHERE id = ${jobId}::uuid
          AND (status = 'queued' OR (status = 'processing' AND (lease_until IS NULL OR lease_until < now())))
        RETURNING *`;
      if (row) return toExportJob(row);
      const [current] = await sql<
        { status: JobStatus }[]
      >`SELECT status FROM export_jobs WHERE id = ${jobId}::uuid`;
      if (!current) return { skipped: 'not_found' } as const;
      return {
        skipped: FINISHED_STATUSES.has(current.status) ? 'finished' : 'leased',
        status: current.status,
      } as const;
    });
  }

  extendLease(jobId: string, owner: string, leaseSeconds: number): Promise<LeaseState> {
    return this.run('extending a lease', async (sql) => {
      const [row] = await sql<{ cancel_requested: boolean }[]>`
        UPDATE export_jobs SET lease_until = now() + ${leaseSeconds}::int * interval '1 second', updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing' AND lease_owner = ${owner}
        RETURNING cancel_requested`;
      return { held: !!row, cancelRequested: row?.cancel_requested ?? false };
    });
  }

  recordProgress(
    jobId: string,
    owner: string,
    progress: JobProgress,
    leaseSeconds?: number,
  ): Promise<LeaseState> {
    return this.run('recording progress', async (sql) => {
      const [row] = await sql<{ cancel_requested: boolean }[]>`
        UPDATE export_jobs
        SET progress = ${this.json(progress)}, rows_exported = ${progress.rowsExported},
            bytes_written = ${progress.bytesWritten},
            lease_until = CASE WHEN ${leaseSeconds ?? null}::int IS NULL THEN lease_until
                               ELSE now() + ${leaseSeconds ?? null}::int * interval '1 second' END,
            updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing' AND lease_owner = ${owner}
        RETURNING cancel_requested`;
      return { held: !!row, cancelRequested: row?.cancel_requested ?? false };
    });
  }

  complete(jobId: string, owner: string, result: JobResult, progress: JobProgress): Promise<boolean> {
    return this.run('completing a job', async (sql) => {
      const rows = await sql`
        UPDATE export_jobs
        SET status = 'completed', result = ${this.json(result)}, progress = ${this.json(progress)},
            rows_exported = ${result.rows}, bytes_written = ${result.bytes}, error = NULL,
            completed_at = now(), lease_until = NULL, lease_owner = NULL, updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing' AND lease_owner = ${owner}
        RETURNING id`;
      return rows.length === 1;
    });
  }

  fail(jobId: string, owner: string, error: JobError): Promise<boolean> {
    return this.run('failing a job', async (sql) => {
      const rows = await sql`
        UPDATE export_jobs
        SET status = 'failed', error = ${this.json(error)}, completed_at = now(),
            lease_until = NULL, lease_owner = NULL, updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing' AND lease_owner = ${owner}
        RETURNING id`;
      return rows.length === 1;
    });
  }

  release(jobId: string, owner: string): Promise<boolean> {
    return this.run('releasing a lease', async (sql) => {
      const rows = await sql`
        UPDATE export_jobs SET status = 'queued', lease_until = NULL, lease_owner = NULL, updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing' AND lease_owner = ${owner}
        RETURNING id`;
      return rows.length === 1;
    });
  }

  isCancelRequested(jobId: string): Promise<boolean> {
    if (!UUID.test(jobId)) return Promise.resolve(false);
    return this.run('reading a cancel request', async (sql) => {
      const [row] = await sql<{ cancel_requested: boolean }[]>`
        SELECT cancel_requested FROM export_jobs WHERE id = ${jobId}::uuid`;
      return row?.cancel_requested ?? false;
    });
  }

  markCancelled(jobId: string, owner: string): Promise<boolean> {
    return this.run('cancelling a job', async (sql) => {
      const rows = await sql`
        UPDATE export_jobs
        SET status = 'cancelled', completed_at = now(), lease_until = NULL, lease_owner = NULL, updated_at = now()
        WHERE id = ${jobId}::uuid AND status = 'processing' AND lease_owner = ${owner}
        RETURNING id`;
      return rows.length === 1;
    });
  }

  ensureScheduledJob(input: ScheduledJobInput): Promise<ExportJob> {
    return this.run('creating a scheduled job', async (sql) => {
      const columns = specColumns(input.spec);
      const [row] = await sql<ExportJobRow[]>`
        INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email,
                                 schedule_name, scheduled_for)
        VALUES ('scheduled', ${this.json(input.spec)}, ${this.json(columns.tables)}, ${columns.format},
                ${columns.compression}, ${input.requestedBy}, ${input.requesterEmail},
                ${input.schedule}, ${input.scheduledFor})
        ON CONFLICT (schedule_name, scheduled_for) WHERE kind = 'scheduled' DO NOTHING
        RETURNING *`;
      return row ? toExportJob(row) : this.scheduledJob(sql, input);
    });
  }

  resetScheduledJob(
    input: ScheduledJobInput,
    resettable: readonly JobStatus[],
  ): Promise<{ job: ExportJob; outcome: ScheduledRunOutcome }> {
    return this.run('requesting a scheduled run', async (sql) => {
      const columns = specColumns(input.spec);
      const [row] = await sql<(ExportJobRow & { inserted: boolean })[]>`
        INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email,
                                 schedule_name, scheduled_for)
        VALUES ('scheduled', ${this.json(input.spec)}, ${this.json(columns.tables)}, ${columns.format},
                ${columns.compression}, ${input.requestedBy}, ${input.requesterEmail},
                ${input.schedule}, ${input.scheduledFor})
        ON CONFLICT (schedule_name, scheduled_for) WHERE kind = 'scheduled' DO UPDATE
        SET status = 'queued', spec = EXCLUDED.spec, tables = EXCLUDED.tables, format = EXCLUDED.format,
            compression = EXCLUDED.compression,
            options = export_jobs.options
                      || jsonb_build_object('run', coalesce((export_jobs.options->>'run')::int, 1) + 1),
            requested_by = EXCLUDED.requested_by, requester_email = EXCLUDED.requester_email,
            attempts = 0, cancel_requested = false, lease_until = NULL, lease_owner = NULL,
            progress = '{}', rows_exported = 0, bytes_written = 0, result = NULL, error = NULL,
            started_at = NULL, completed_at = NULL, email_sent_at = NULL, event_sent_at = NULL,
            updated_at = now()
        WHERE export_jobs.status = ANY(${resettable as string[]}::text[])
        RETURNING *, (xmax = 0) AS inserted`;
      if (row) return { job: toExportJob(row), outcome: row.inserted ? 'created' : 'reset' } as const;
      return { job: await this.scheduledJob(sql, input), outcome: 'unchanged' } as const;
    });
  }

  touchStaleQueued(criteria: StaleQueuedCriteria): Promise<string[]> {
    return this.run('sweeping queued jobs', async (sql) => {
      // SKIP LOCKED: a row a worker is claiming right now is not stale; the next sweep looks again.
      // The outer WHERE repeats the test, so a row claimed between the two reads is left alone.
      const rows = await sql<{ id: string }[]>`
        UPDATE export_jobs SET updated_at = now()
        WHERE id IN (
            SELECT id FROM export_jobs
            WHERE status = 'queued'
              AND updated_at < CASE WHEN attempts = 0 THEN ${criteria.unclaimedBefore}::timestamptz
                                    ELSE ${criteria.releasedBefore}::timestamptz END
            ORDER BY updated_at
            LIMIT ${criteria.limit}
            FOR UPDATE SKIP LOCKED)
          AND status = 'queued'
        RETURNING id`;
      return rows.map((row) => row.id);
    });
  }

  touchExpiredLeases(criteria: ExpiredLeaseCriteria): Promise<string[]> {
    return this.run('sweeping expired leases', async (sql) => {
      const rows = await sql<{ id: string }[]>`
        UPDATE export_jobs SET updated_at = now()
        WHERE id IN (
            SELECT id FROM export_jobs
            WHERE status = 'processing'
              AND coalesce(lease_until, updated_at) < ${criteria.expiredBefore}::timestamptz
              AND updated_at < ${criteria.expiredBefore}::timestamptz
              AND (attempts < ${criteria.maxAttempts} OR cancel_requested)
            ORDER BY updated_at
            LIMIT ${criteria.limit}
            FOR UPDATE SKIP LOCKED)
          AND status = 'processing'
          AND coalesce(lease_until, updated_at) < ${criteria.expiredBefore}::timestamptz
        RETURNING id`;
      return rows.map((row) => row.id);
    });
  }

  failAbandoned(criteria: ExpiredLeaseCriteria, error: JobError): Promise<ExportJob[]> {
    return this.run('failing abandoned jobs', async (sql) => {
      const rows = await sql<ExportJobRow[]>`
        UPDATE export_jobs
        SET status = 'failed', error = ${this.json(error)}, completed_at = now(),
            lease_until = NULL, lease_owner = NULL, updated_at = now()
        WHERE id IN (
            SELECT id FROM export_jobs
            WHERE status = 'processing'
              AND coalesce(lease_until, updated_at) < ${criteria.expiredBefore}::timestamptz
              AND updated_at < ${criteria.expiredBefore}::timestamptz
              AND attempts >= ${criteria.maxAttempts}
              AND NOT cancel_requested
            ORDER BY updated_at
            LIMIT ${criteria.limit}
            FOR UPDATE SKIP LOCKED)
          AND status = 'processing'
          AND coalesce(lease_until, updated_at) < ${criteria.expiredBefore}::timestamptz
          AND NOT cancel_requested
        RETURNING *`;
      return rows.map(toExportJob);
    });
  }

  private async scheduledJob(sql: Sql, input: ScheduledJobInput): Promise<ExportJob> {
    const [row] = await sql<ExportJobRow[]>`
      SELECT * FROM export_jobs
      WHERE kind = 'scheduled' AND schedule_name = ${input.schedule} AND scheduled_for = ${input.scheduledFor}`;
    if (!row) throw new Error(`scheduled job ${input.schedule}@${input.scheduledFor.toISOString()} vanished`);
    return toExportJob(row);
  }

  /** A jsonb parameter: postgres.js serialises it once (a pre-stringified value would be stored as a JSON string). */
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
