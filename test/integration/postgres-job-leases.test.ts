import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresJobLeases } from '../../functions/adapters/postgres-job-leases.js';
import type { ExportJob, JobProgress, JobResult } from '../../functions/domain/export-job.js';
import {
  type ClaimSkipped,
  isClaimSkipped,
  type ScheduledJobInput,
} from '../../functions/domain/job-leases.js';
import { testSql } from '../support/services.js';

const REQUESTER = `leases-it-${process.pid}`;
let sql: Sql;
let leases: PostgresJobLeases;

beforeAll(() => {
  sql = testSql({ max: 8 });
  leases = new PostgresJobLeases(sql);
});
afterAll(async () => {
  await sql`DELETE FROM export_jobs WHERE requested_by LIKE ${`${REQUESTER}%`}`;
  await sql.end();
});

async function queuedJob(): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO export_jobs (kind, tables, format, requested_by) VALUES ('bulk', '["users"]', 'csv', ${REQUESTER})
    RETURNING id`;
  return row!.id;
}

function claimed(result: ExportJob | ClaimSkipped): ExportJob {
  if (isClaimSkipped(result)) throw new Error(`claim skipped: ${result.skipped}`);
  return result;
}

const progress: JobProgress = {
  rowsExported: 5,
  bytesWritten: 50,
  tablesDone: 0,
  tablesTotal: 1,
  percent: 50,
  rowsTotal: 10,
};
const result: JobResult = {
  objectKey: 'exports/x/users.csv',
  bucket: 'b',
  fileName: 'users.csv',
  contentType: 'text/csv',
  bytes: 100,
  sha256: 'f'.repeat(64),
  rows: 10,
  tables: [{ name: 'users', rows: 10 }],
  exportedAt: '2024-05-01T00:00:00.000Z',
};

/** A slot no other test uses: a date far in the future, unique per process. */
function slot(overrides: Partial<ScheduledJobInput> = {}): ScheduledJobInput {
  const day =
    Date.UTC(2095, 0, 1) + ((process.pid * 7 + Math.floor(Math.random() * 1e6)) % 20_000) * 86_400_000;
  return {
    schedule: 'daily_transactions',
    scheduledFor: new Date(day),
    format: 'csv',
    compression: 'none',
    tables: ['transactions'],
    options: {},
    requestedBy: `${REQUESTER}-scheduler`,
    requesterEmail: null,
    ...overrides,
  };
}

describe('PostgresJobLeases', () => {
  it('claims a queued job once: attempts, lease owner and deadline set; a second claim finds it leased', async () => {
    const id = await queuedJob();

    const job = claimed(await leases.claim(id, 'a', 60));
    const again = await leases.claim(id, 'b', 60);

    expect(job).toMatchObject({ id, status: 'processing', attempts: 1 });
    expect(job.leaseUntil!.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(again).toEqual({ skipped: 'leased', status: 'processing' });
  });

  it('lets exactly one of many concurrent claimers win', async () => {
    const id = await queuedJob();

    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => leases.claim(id, `w${i}`, 60)));

    expect(results.filter((r) => !isClaimSkipped(r))).toHaveLength(1);
  });

  it('reports unknown and malformed ids as not found', async () => {
    await expect(leases.claim(randomUUID(), 'a', 60)).resolves.toEqual({ skipped: 'not_found' });
    await expect(leases.claim('not-a-uuid', 'a', 60)).resolves.toEqual({ skipped: 'not_found' });
  });

  it('takes over an expired lease, after which the old owner can change nothing', async () => {
    const id = await queuedJob();
    claimed(await leases.claim(id, 'old', 60));
    await sql`UPDATE export_jobs SET lease_until = now() - interval '1 second' WHERE id = ${id}`;

    const job = claimed(await leases.claim(id, 'new', 60));

    expect(job.attempts).toBe(2);
    await expect(leases.recordProgress(id, 'old', progress, 60)).resolves.toEqual({
      held: false,
      cancelRequested: false,
    });
    await expect(leases.extendLease(id, 'old', 60)).resolves.toMatchObject({ held: false });
    await expect(leases.complete(id, 'old', result, progress)).resolves.toBe(false);
    await expect(leases.fail(id, 'old', { code: 'x', message: 'x', retryable: false })).resolves.toBe(false);
    await expect(leases.release(id, 'old')).resolves.toBe(false);
    await expect(leases.markCancelled(id, 'old')).resolves.toBe(false);
    await expect(leases.complete(id, 'new', result, { ...progress, percent: 100 })).resolves.toBe(true);
    const [row] =
      await sql`SELECT status, result, rows_exported, lease_owner, lease_until FROM export_jobs WHERE id = ${id}`;
    expect(row).toMatchObject({
      status: 'completed',
      result,
      rows_exported: '10',
      lease_owner: null,
      lease_until: null,
    });
  });

  it('records progress as JSON, renews the lease and reports a cancel request', async () => {
    const id = await queuedJob();
    claimed(await leases.claim(id, 'a', 1));

    await sql`UPDATE export_jobs SET cancel_requested = true WHERE id = ${id}`;
    const state = await leases.recordProgress(id, 'a', progress, 120);

    expect(state).toEqual({ held: true, cancelRequested: true });
    await expect(leases.isCancelRequested(id)).resolves.toBe(true);
    const [row] = await sql<{ progress: JobProgress; left: number }[]>`
      SELECT progress, extract(epoch FROM lease_until - now())::int AS left FROM export_jobs WHERE id = ${id}`;
    expect(row!.progress).toEqual(progress);
    expect(row!.left).toBeGreaterThan(100);
  });

  it('releases a job back to queued for an immediate retry, and never claims a finished one', async () => {
    const id = await queuedJob();
    claimed(await leases.claim(id, 'a', 60));

    await expect(leases.release(id, 'a')).resolves.toBe(true);
    const retry = claimed(await leases.claim(id, 'b', 60));
    await expect(leases.markCancelled(id, 'b')).resolves.toBe(true);

    expect(retry.attempts).toBe(2);
    await expect(leases.claim(id, 'c', 60)).resolves.toEqual({ skipped: 'finished', status: 'cancelled' });
  });

  it('creates one scheduled job per slot however many deliveries race', async () => {
    const input = slot();

    const jobs = await Promise.all(Array.from({ length: 6 }, () => leases.ensureScheduledJob(input)));

    expect(new Set(jobs.map((j) => j.id)).size).toBe(1);
    expect(jobs[0]).toMatchObject({
      kind: 'scheduled',
      status: 'queued',
      tables: ['transactions'],
      scheduleName: input.schedule,
    });
  });

  it('resets a finished slot to a new queued run only when its status allows it', async () => {
    const input = slot();
    const created = await leases.resetScheduledJob(input, ['failed']);
    expect(created.outcome).toBe('created');
    claimed(await leases.claim(created.job.id, 'a', 60));
    await leases.complete(created.job.id, 'a', result, progress);

    const refused = await leases.resetScheduledJob(input, ['failed', 'cancelled']);
    const admin = { ...input, requestedBy: `${REQUESTER}-admin`, requesterEmail: 'admin@example.com' };
    const reset = await leases.resetScheduledJob(admin, ['completed', 'failed', 'cancelled']);

    expect(refused).toMatchObject({ outcome: 'unchanged', job: { status: 'completed' } });
    expect(reset.outcome).toBe('reset');
    expect(reset.job).toMatchObject({
      id: created.job.id,
      status: 'queued',
      attempts: 0,
      result: null,
      requestedBy: admin.requestedBy,
      requesterEmail: 'admin@example.com',
      options: { run: 2 },
    });
  });
});
