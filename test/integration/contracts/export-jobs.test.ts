import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresExportJobs } from '../../../functions/adapters/postgres/postgres-export-jobs.js';
import { ConflictError, ValidationError } from '../../../functions/domain/errors.js';
import type { ExportJob, JobError } from '../../../functions/domain/jobs/export-job.js';
import type { ExportJobs, JobMetrics, NewExportJob } from '../../../functions/domain/jobs/export-jobs.js';
import { InMemoryExportJobs } from '../../support/api-fakes.js';
import { describeContract } from '../../support/contract-suite.js';
import { insertJobRow, readJobRow } from '../../support/export-job-rows.js';
import { bulkSpec } from '../../support/job-specs.js';
import { createOwnDatabase, type OwnDatabase } from '../../support/own-database.js';
import { jobFixture } from '../../support/worker-fakes.js';

/**
 * The ExportJobs port (the API's side of `export_jobs`), one set of cases run against the
 * in-memory fake the handler tests use and against the Postgres adapter.
 */

/** One implementation, with the means to arrange jobs in any state and to look at them. */
interface Subject {
  readonly jobs: ExportJobs;
  /** Stores `job` exactly as given: what a worker or an earlier request left. */
  put(job: ExportJob, requestHash?: string): Promise<void>;
  read(id: string): Promise<ExportJob | undefined>;
}

let db: OwnDatabase;
let apiSql: Sql;

beforeAll(async () => {
  // Admin listings and metrics see every job of the table: a database of this file's own.
  db = await createOwnDatabase('jobs_contract');
  apiSql = db.login('api', { max: 8 });
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function inMemory(): Promise<Subject> {
  const fake = new InMemoryExportJobs();
  return {
    jobs: fake,
    put: async (job, requestHash) => {
      fake.put(job, requestHash ?? null);
    },
    read: async (id) => (await fake.get(id)) ?? undefined,
  };
}

async function onPostgres(): Promise<Subject> {
  await db.clear();
  return {
    // The API's least-privilege login, as in AWS.
    jobs: new PostgresExportJobs(apiSql),
    put: (job, requestHash) => insertJobRow(db.owner, job, { requestHash }),
    read: (id) => readJobRow(db.owner, id),
  };
}

const ADMIN = 'admin-1';
const OTHER = 'user-2';

function request(overrides: Partial<NewExportJob> = {}): NewExportJob {
  return {
    spec: bulkSpec({
      tables: ['users', 'courses'],
      filters: { users: { dateFrom: '2024-01-01' } },
      compression: 'gzip',
    }),
    requestedBy: ADMIN,
    requesterEmail: 'admin@example.com',
    ...overrides,
  };
}

/** A stored job created at `createdAt` (ISO), by ADMIN unless overridden. */
function stored(createdAt: string, overrides: Partial<ExportJob> = {}): ExportJob {
  const at = new Date(createdAt);
  return jobFixture({ requestedBy: ADMIN, createdAt: at, updatedAt: at, ...overrides });
}

/** The newest-first order of the port: creation time, then id, both descending. */
const newestFirst = (jobs: readonly ExportJob[]) =>
  [...jobs]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1))
    .map((j) => j.id);

const enqueueFailed: JobError = { code: 'enqueue_failed', message: 'the queue was down', retryable: true };

describeContract<Subject>('ExportJobs', { 'in-memory': inMemory, postgres: onPostgres }, (s) => {
  describe('create and get', () => {
    it('inserts a queued job with the request fields, read back by id as it was returned', async () => {
      const input = request();

      const { job, created } = await s.jobs.create(input);

      expect(created).toBe(true);
      expect(job).toMatchObject({
        kind: 'bulk',
        spec: input.spec,
        tables: ['users', 'courses'],
        format: 'csv',
        compression: 'gzip',
        options: {},
        requestedBy: ADMIN,
        requesterEmail: 'admin@example.com',
        status: 'queued',
        attempts: 0,
        leaseUntil: null,
        cancelRequested: false,
        rowsExported: 0,
        bytesWritten: 0,
        progress: {},
        result: null,
        error: null,
        scheduleName: null,
        scheduledFor: null,
        idempotencyKey: null,
        startedAt: null,
        completedAt: null,
      });
      expect(job.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(job.updatedAt).toEqual(job.createdAt);
      // The request hash is the API's business with findByIdempotencyKey only.
      expect(job).not.toHaveProperty('requestHash');
      expect(await s.jobs.get(job.id)).toEqual(job);
    });

    it('answers null for an unknown id', async () => {
      await expect(s.jobs.get(randomUUID())).resolves.toBeNull();
    });

    it('returns the first job for a retried request with the same idempotency key and request', async () => {
      const input = request({ idempotencyKey: 'key-1', requestHash: 'hash-a' });
      const first = await s.jobs.create(input);

      const retried = await s.jobs.create(input);

      expect(retried).toEqual({ job: first.job, created: false });
      expect((await s.jobs.list({ requestedBy: ADMIN, limit: 10 })).jobs).toHaveLength(1);
    });

    it('refuses the key reused for another request with a conflict naming the first job', async () => {
      const first = await s.jobs.create(request({ idempotencyKey: 'key-1', requestHash: 'hash-a' }));

      const reused = s.jobs.create(
        request({ idempotencyKey: 'key-1', requestHash: 'hash-b', spec: bulkSpec({ format: 'json' }) }),
      );

      await expect(reused).rejects.toBeInstanceOf(ConflictError);
      await expect(reused).rejects.toMatchObject({ status: 409, details: { jobId: first.job.id } });
    });

    it('keeps idempotency keys per requester', async () => {
      const mine = await s.jobs.create(request({ idempotencyKey: 'key-1', requestHash: 'hash-a' }));

      const theirs = await s.jobs.create(
        request({ requestedBy: OTHER, idempotencyKey: 'key-1', requestHash: 'hash-a' }),
      );

      expect(theirs.created).toBe(true);
      expect(theirs.job.id).not.toBe(mine.job.id);
    });

    it('creates one job for concurrent retries of one idempotent request', async () => {
      const input = request({ idempotencyKey: 'key-1', requestHash: 'hash-a' });

      const results = await Promise.all(Array.from({ length: 5 }, () => s.jobs.create(input)));

      expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('finds a job by its requester and key, with the request hash; null for another requester or key', async () => {
      const { job } = await s.jobs.create(request({ idempotencyKey: 'key-1', requestHash: 'hash-a' }));

      const found = await s.jobs.findByIdempotencyKey(ADMIN, 'key-1');

      expect(found).toEqual({ ...job, requestHash: 'hash-a' });
      await expect(s.jobs.findByIdempotencyKey(OTHER, 'key-1')).resolves.toBeNull();
      await expect(s.jobs.findByIdempotencyKey(ADMIN, 'key-2')).resolves.toBeNull();
    });
  });

  describe('list', () => {
    it('lists newest first, filtered by requester and by status', async () => {
      const jobs = [
        stored('2024-05-01T10:00:00.000Z'),
        stored('2024-05-03T10:00:00.000Z', { status: 'completed' }),
        stored('2024-05-02T10:00:00.000Z', { requestedBy: OTHER, status: 'completed' }),
        stored('2024-05-04T10:00:00.000Z', { kind: 'scheduled', requestedBy: null, scheduleName: 'daily' }),
      ];
      for (const j of jobs) await s.put(j);

      const all = await s.jobs.list({ limit: 10 });
      const mine = await s.jobs.list({ requestedBy: ADMIN, limit: 10 });
      const completed = await s.jobs.list({ status: 'completed', limit: 10 });
      const myCompleted = await s.jobs.list({ requestedBy: ADMIN, status: 'completed', limit: 10 });

      expect(all.jobs.map((j) => j.id)).toEqual(newestFirst(jobs));
      expect(all.jobs[0]).toEqual(jobs[3]);
      expect(mine.jobs.map((j) => j.id)).toEqual([jobs[1]!.id, jobs[0]!.id]);
      expect(completed.jobs.map((j) => j.id)).toEqual([jobs[1]!.id, jobs[2]!.id]);
      expect(myCompleted.jobs.map((j) => j.id)).toEqual([jobs[1]!.id]);
      for (const page of [all, mine, completed, myCompleted]) expect(page.nextCursor).toBeNull();
    });

    it('pages through every job exactly once, jobs created at the same instant ordered by id', async () => {
      const jobs = [
        stored('2024-05-01T10:00:00.001Z'),
        stored('2024-05-01T10:00:00.002Z'),
        stored('2024-05-01T10:00:00.002Z'),
        stored('2024-05-01T10:00:00.002Z'),
        stored('2024-05-01T10:00:00.003Z'),
        stored('2024-05-01T10:00:00.123Z'),
        stored('2024-05-02T00:00:00.000Z'),
      ];
      for (const j of jobs) await s.put(j);

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await s.jobs.list({ limit: 2, ...(cursor !== undefined && { cursor }) });
        seen.push(...page.jobs.map((j) => j.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
        // A job created while the client pages is newer than every cursor: it never shows up mid-way.
        if (pages === 1) await s.put(stored('2024-06-01T00:00:00.000Z'));
      } while (cursor !== undefined);

      expect(seen).toEqual(newestFirst(jobs));
      expect(pages).toBe(4);
    });

    it('gives no next cursor when a page ends exactly at the last job', async () => {
      for (const at of ['2024-05-01', '2024-05-02', '2024-05-03', '2024-05-04']) {
        await s.put(stored(`${at}T00:00:00.000Z`));
      }

      const whole = await s.jobs.list({ limit: 4 });
      const first = await s.jobs.list({ limit: 2 });
      const second = await s.jobs.list({ limit: 2, cursor: first.nextCursor! });

      expect(whole.nextCursor).toBeNull();
      expect(first.nextCursor).not.toBeNull();
      expect(second.jobs).toHaveLength(2);
      expect(second.nextCursor).toBeNull();
    });

    it('refuses a cursor it did not issue', async () => {
      await expect(s.jobs.list({ limit: 10, cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });
  });

  describe('requestCancel', () => {
    it('cancels a queued job at once', async () => {
      const queued = stored('2024-05-01T10:00:00.000Z');
      await s.put(queued);

      const cancelled = await s.jobs.requestCancel(queued.id);

      expect(cancelled).toMatchObject({ id: queued.id, status: 'cancelled', cancelRequested: true });
      expect(cancelled!.completedAt).not.toBeNull();
      expect(cancelled!.updatedAt).toEqual(cancelled!.completedAt);
      expect(await s.read(queued.id)).toEqual(cancelled);
    });

    it('flags a processing job for its worker to stop, leaving its status to the worker', async () => {
      const running = stored('2024-05-01T10:00:00.000Z', {
        status: 'processing',
        attempts: 1,
        startedAt: new Date('2024-05-01T10:00:01.000Z'),
        leaseUntil: new Date(Date.now() + 60_000),
      });
      await s.put(running);

      const flagged = await s.jobs.requestCancel(running.id);

      expect(flagged).toEqual({ ...running, cancelRequested: true, updatedAt: flagged!.updatedAt });
      expect(flagged!.updatedAt.getTime()).toBeGreaterThan(running.updatedAt.getTime());
      expect(await s.read(running.id)).toEqual(flagged);
    });

    it.each(['completed', 'failed', 'cancelled'] as const)(
      'refuses to cancel a %s job with a conflict',
      async (status) => {
        const finished = stored('2024-05-01T10:00:00.000Z', {
          status,
          completedAt: new Date('2024-05-01T10:05:00Z'),
        });
        await s.put(finished);

        const refused = s.jobs.requestCancel(finished.id);

        await expect(refused).rejects.toBeInstanceOf(ConflictError);
        await expect(refused).rejects.toMatchObject({ status: 409, details: { status } });
        expect(await s.read(finished.id)).toEqual(finished);
      },
    );

    it('answers null for an unknown job', async () => {
      await expect(s.jobs.requestCancel(randomUUID())).resolves.toBeNull();
    });
  });

  describe('markEnqueueFailed', () => {
    it("fails a queued job and frees its idempotency key, so the client's retry creates a fresh job", async () => {
      const input = request({ idempotencyKey: 'key-1', requestHash: 'hash-a' });
      const first = await s.jobs.create(input);

      await s.jobs.markEnqueueFailed(first.job.id, enqueueFailed);
      const retried = await s.jobs.create(input);

      const failed = await s.read(first.job.id);
      expect(failed).toMatchObject({ status: 'failed', error: enqueueFailed, idempotencyKey: null });
      expect(failed!.completedAt).not.toBeNull();
      expect(failed!.updatedAt).toEqual(failed!.completedAt);
      expect(retried.created).toBe(true);
      expect(retried.job.id).not.toBe(first.job.id);
      expect((await s.jobs.findByIdempotencyKey(ADMIN, 'key-1'))?.id).toBe(retried.job.id);
    });

    it('leaves a job that a worker has already claimed alone', async () => {
      const running = stored('2024-05-01T10:00:00.000Z', {
        status: 'processing',
        attempts: 1,
        idempotencyKey: 'k',
      });
      await s.put(running, 'hash-a');

      await s.jobs.markEnqueueFailed(running.id, enqueueFailed);

      expect(await s.read(running.id)).toEqual(running);
    });
  });

  describe('metrics', () => {
    const since = new Date('2024-05-01T00:00:00.000Z');
    const completedIn = (ms: number, overrides: Partial<ExportJob> = {}) =>
      stored('2024-05-02T10:00:00.000Z', {
        status: 'completed',
        startedAt: new Date('2024-05-02T10:00:00.000Z'),
        completedAt: new Date(Date.UTC(2024, 4, 2, 10, 0, 0, ms)),
        ...overrides,
      });

    it('counts the jobs created since the given time by status, with their rows and bytes, by kind and by format', async () => {
      const jobs = [
        stored('2024-04-30T23:59:59.999Z', { status: 'completed', rowsExported: 1000, bytesWritten: 1000 }),
        stored('2024-05-01T00:00:00.000Z', { status: 'queued' }),
        stored('2024-05-01T01:00:00.000Z', { status: 'processing', rowsExported: 5, bytesWritten: 50 }),
        stored('2024-05-01T02:00:00.000Z', { status: 'failed', kind: 'user', format: 'json' }),
        stored('2024-05-01T03:00:00.000Z', { status: 'cancelled', format: 'json' }),
      ];
      for (const j of jobs) await s.put(j);

      const metrics = await s.jobs.metrics(since);

      const none = { avg: null, p50: null, p95: null };
      const bucket = (counts: Partial<Record<string, number>>) => ({
        total: 0,
        succeeded: 0,
        failed: 0,
        cancelled: 0,
        queued: 0,
        processing: 0,
        durationMs: none,
        rows: 0,
        bytes: 0,
        ...counts,
      });
      expect(metrics).toEqual<JobMetrics>({
        since: since.toISOString(),
        ...bucket({ total: 4, queued: 1, processing: 1, failed: 1, cancelled: 1, rows: 5, bytes: 50 }),
        byKind: {
          bulk: bucket({ total: 3, queued: 1, processing: 1, cancelled: 1, rows: 5, bytes: 50 }),
          user: bucket({ total: 1, failed: 1 }),
        },
        byFormat: {
          csv: bucket({ total: 2, queued: 1, processing: 1, rows: 5, bytes: 50 }),
          json: bucket({ total: 2, failed: 1, cancelled: 1 }),
        },
      });
    });

    it('reports the durations of completed jobs: average and interpolated percentiles', async () => {
      const jobs = [
        completedIn(1000),
        completedIn(2000, { kind: 'user' }),
        completedIn(3000),
        completedIn(10_000),
        // Neither a failed job nor a completed one that never started has a duration.
        stored('2024-05-02T10:00:00.000Z', {
          status: 'failed',
          startedAt: new Date('2024-05-02T10:00:00.000Z'),
          completedAt: new Date('2024-05-02T11:00:00.000Z'),
        }),
        stored('2024-05-02T10:00:00.000Z', {
          status: 'completed',
          completedAt: new Date('2024-05-02T11:00:00Z'),
        }),
      ];
      for (const j of jobs) await s.put(j);

      const metrics = await s.jobs.metrics(since);

      // percentile_cont over 1, 2, 3 and 10 s: p50 halfway between 2 and 3, p95 at 3 + 0.85 × 7 s.
      expect(metrics.durationMs).toEqual({ avg: 4000, p50: 2500, p95: 8950 });
      expect(metrics.byKind.user?.durationMs).toEqual({ avg: 2000, p50: 2000, p95: 2000 });
      expect(metrics.byKind.bulk?.durationMs).toEqual({ avg: 4667, p50: 3000, p95: 9300 });
      expect(metrics.succeeded).toBe(5);
    });

    it('reports zeros and no buckets when no job was created since', async () => {
      await s.put(stored('2024-04-01T00:00:00.000Z', { status: 'completed' }));

      const metrics = await s.jobs.metrics(since);

      expect(metrics).toMatchObject({
        total: 0,
        succeeded: 0,
        durationMs: { avg: null, p50: null, p95: null },
        rows: 0,
        bytes: 0,
        byKind: {},
        byFormat: {},
      });
    });
  });
});
