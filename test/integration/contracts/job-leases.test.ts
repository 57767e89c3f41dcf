import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresJobLeases } from '../../../functions/adapters/postgres/postgres-job-leases.js';
import type {
  ExportJob,
  JobError,
  JobProgress,
  JobResult,
} from '../../../functions/domain/jobs/export-job.js';
import {
  type ClaimSkipped,
  type ExpiredLeaseCriteria,
  isClaimSkipped,
  type JobLeases,
  type ScheduledJobInput,
} from '../../../functions/domain/jobs/job-leases.js';
import { describeContract } from '../../support/contract-suite.js';
import { insertJobRow, readJobRow } from '../../support/export-job-rows.js';
import { scheduledSpec } from '../../support/job-specs.js';
import { createOwnDatabase, type OwnDatabase } from '../../support/own-database.js';
import { InMemoryJobLeases, jobFixture } from '../../support/worker-fakes.js';

/**
 * The JobLeases port, one set of cases run against the in-memory fake the unit tests use and
 * against the Postgres adapter, so that the fake cannot quietly behave otherwise.
 */

/** One implementation, with the means to arrange jobs and to look at them. */
interface Subject {
  readonly leases: JobLeases;
  /** Stores `job` exactly as given, leased to `leaseOwner`: what the API or an earlier attempt left. */
  put(job: ExportJob, leaseOwner?: string): Promise<void>;
  /** The job as stored now. */
  read(id: string): Promise<ExportJob>;
}

let db: OwnDatabase;
let workerSql: Sql;

beforeAll(async () => {
  // The sweeper's methods act on every job of the table: a database of this file's own.
  db = await createOwnDatabase('leases_contract');
  workerSql = db.login('worker', { max: 8 });
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function inMemory(): Promise<Subject> {
  const fake = new InMemoryJobLeases();
  return {
    leases: fake,
    put: async (job, leaseOwner) => {
      fake.add(job, leaseOwner ?? null);
    },
    read: async (id) => fake.get(id),
  };
}

async function onPostgres(): Promise<Subject> {
  await db.clear();
  return {
    // The worker's least-privilege login, as in AWS.
    leases: new PostgresJobLeases(workerSql),
    put: (job, leaseOwner) => insertJobRow(db.owner, job, { leaseOwner }),
    read: async (id) => {
      const job = await readJobRow(db.owner, id);
      if (!job) throw new Error(`no job ${id}`);
      return job;
    },
  };
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
const later = (seconds: number) => new Date(Date.now() + seconds * 1000);

/** A job as the API inserts it, created `ageSeconds` ago. */
function job(overrides: Partial<ExportJob> = {}, ageSeconds = 0): ExportJob {
  const at = ago(ageSeconds);
  return jobFixture({ createdAt: at, updatedAt: at, ...overrides });
}

/** A job a worker has held since `ageSeconds` ago, its lease ending `leaseEndsIn` seconds from now. */
function processing(overrides: Partial<ExportJob>, ageSeconds: number, leaseEndsIn: number): ExportJob {
  return job(
    {
      status: 'processing',
      attempts: 1,
      startedAt: ago(ageSeconds),
      leaseUntil: later(leaseEndsIn),
      ...overrides,
    },
    ageSeconds,
  );
}

const sorted = (ids: readonly string[]) => [...ids].sort();

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
  objectKey: 'exports/x/1/users.csv',
  bucket: 'b',
  fileName: 'users.csv',
  contentType: 'text/csv',
  bytes: 100,
  sha256: 'f'.repeat(64),
  etag: 'e'.repeat(32),
  rows: 10,
  tables: [{ name: 'users', rows: 10 }],
  exportedAt: '2024-05-01T00:00:00.000Z',
};
const failure: JobError = { code: 'export_failed', message: 'the export failed', retryable: false };

/** A slot of its own: the fake's and the database's slots never meet, but each test's must not either. */
function slot(overrides: Partial<ScheduledJobInput> = {}): ScheduledJobInput {
  const schedule = `daily_${randomUUID().slice(0, 8)}`;
  return {
    schedule,
    scheduledFor: new Date('2095-03-01T00:00:00Z'),
    spec: scheduledSpec({ schedule, scheduledTime: '2095-03-01T01:00:00.000Z' }),
    requestedBy: null,
    requesterEmail: null,
    ...overrides,
  };
}

describeContract<Subject>('JobLeases', { 'in-memory': inMemory, postgres: onPostgres }, (s) => {
  describe('claim', () => {
    it('moves a queued job to processing: one attempt, a lease of the given length from the claim, progress reset', async () => {
      const queued = job({ rowsExported: 7, bytesWritten: 70, progress: { ...progress } });
      await s.put(queued);

      const taken = claimed(await s.leases.claim(queued.id, 'a', 60));

      expect(taken).toMatchObject({
        id: queued.id,
        status: 'processing',
        attempts: 1,
        progress: {},
        rowsExported: 0,
        bytesWritten: 0,
      });
      expect(taken.leaseUntil!.getTime() - taken.startedAt!.getTime()).toBe(60_000);
      expect(taken.updatedAt).toEqual(taken.startedAt);
      expect(await s.read(queued.id)).toEqual(taken);
    });

    it('refuses a second claimer while the lease runs', async () => {
      const queued = job();
      await s.put(queued);
      claimed(await s.leases.claim(queued.id, 'a', 60));

      const again = await s.leases.claim(queued.id, 'b', 60);

      expect(again).toEqual({ skipped: 'leased', status: 'processing' });
      expect((await s.read(queued.id)).attempts).toBe(1);
    });

    it('lets exactly one of many concurrent claimers win', async () => {
      const queued = job();
      await s.put(queued);

      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => s.leases.claim(queued.id, `w${i}`, 60)),
      );

      expect(results.filter((r) => !isClaimSkipped(r))).toHaveLength(1);
      expect((await s.read(queued.id)).attempts).toBe(1);
    });

    it('reports unknown and malformed ids as not found', async () => {
      await expect(s.leases.claim(randomUUID(), 'a', 60)).resolves.toEqual({ skipped: 'not_found' });
      await expect(s.leases.claim('not-a-uuid', 'a', 60)).resolves.toEqual({ skipped: 'not_found' });
    });

    it.each(['completed', 'failed', 'cancelled'] as const)(
      'never claims a %s job: a redelivered message',
      async (status) => {
        const finished = job({ status, attempts: 1, completedAt: new Date() });
        await s.put(finished);

        await expect(s.leases.claim(finished.id, 'a', 60)).resolves.toEqual({ skipped: 'finished', status });
        expect(await s.read(finished.id)).toEqual(finished);
      },
    );

    it('takes over an expired lease, after which the old owner can change nothing', async () => {
      const abandoned = processing({}, 120, -1);
      await s.put(abandoned, 'old');

      const taken = claimed(await s.leases.claim(abandoned.id, 'new', 60));

      expect(taken.attempts).toBe(2);
      await expect(s.leases.recordProgress(abandoned.id, 'old', progress, 60)).resolves.toEqual({
        held: false,
        cancelRequested: false,
      });
      await expect(s.leases.extendLease(abandoned.id, 'old', 60)).resolves.toEqual({
        held: false,
        cancelRequested: false,
      });
      await expect(s.leases.complete(abandoned.id, 'old', result, progress)).resolves.toBe(false);
      await expect(s.leases.fail(abandoned.id, 'old', failure)).resolves.toBe(false);
      await expect(s.leases.release(abandoned.id, 'old')).resolves.toBe(false);
      await expect(s.leases.markCancelled(abandoned.id, 'old')).resolves.toBe(false);
      expect(await s.read(abandoned.id)).toEqual(taken);
    });

    it('takes over a processing job that has no lease deadline at all', async () => {
      const unleased = processing({ leaseUntil: null }, 60, 0);
      await s.put(unleased, 'old');

      const taken = claimed(await s.leases.claim(unleased.id, 'new', 60));

      expect(taken.attempts).toBe(2);
    });
  });

  describe("the lease holder's writes", () => {
    it('records progress, renewing the lease only when asked, and reports a cancel request', async () => {
      const running = processing({ cancelRequested: true }, 60, 30);
      await s.put(running, 'a');

      const kept = await s.leases.recordProgress(running.id, 'a', progress);
      const afterKept = await s.read(running.id);
      const renewed = await s.leases.recordProgress(running.id, 'a', { ...progress, percent: 60 }, 120);
      const afterRenewed = await s.read(running.id);

      expect(kept).toEqual({ held: true, cancelRequested: true });
      expect(renewed).toEqual({ held: true, cancelRequested: true });
      expect(afterKept).toMatchObject({ progress, rowsExported: 5, bytesWritten: 50 });
      expect(afterKept.leaseUntil).toEqual(running.leaseUntil);
      expect(afterRenewed.progress).toEqual({ ...progress, percent: 60 });
      expect(afterRenewed.leaseUntil!.getTime() - afterRenewed.updatedAt.getTime()).toBe(120_000);
      await expect(s.leases.isCancelRequested(running.id)).resolves.toBe(true);
    });

    it('extends the lease of its holder only', async () => {
      const running = processing({}, 60, 30);
      await s.put(running, 'a');

      const held = await s.leases.extendLease(running.id, 'a', 300);
      const stranger = await s.leases.extendLease(running.id, 'b', 900);

      expect(held).toEqual({ held: true, cancelRequested: false });
      expect(stranger).toEqual({ held: false, cancelRequested: false });
      const stored = await s.read(running.id);
      expect(stored.leaseUntil!.getTime() - stored.updatedAt.getTime()).toBe(300_000);
    });

    it('completes once with the result, clearing the lease and an error an earlier attempt left', async () => {
      const running = processing(
        { error: { code: 'dependency_unavailable', message: 'x', retryable: true } },
        60,
        30,
      );
      await s.put(running, 'a');

      const first = await s.leases.complete(running.id, 'a', result, { ...progress, percent: 100 });
      const second = await s.leases.complete(running.id, 'a', result, progress);

      expect([first, second]).toEqual([true, false]);
      const stored = await s.read(running.id);
      expect(stored).toMatchObject({
        status: 'completed',
        result,
        progress: { ...progress, percent: 100 },
        rowsExported: result.rows,
        bytesWritten: result.bytes,
        error: null,
        leaseUntil: null,
      });
      expect(stored.completedAt).toEqual(stored.updatedAt);
    });

    it('fails the job for its holder only, with the error, clearing the lease', async () => {
      const running = processing({}, 60, 30);
      await s.put(running, 'a');

      const stranger = await s.leases.fail(running.id, 'b', failure);
      const holder = await s.leases.fail(running.id, 'a', failure);

      expect([stranger, holder]).toEqual([false, true]);
      const stored = await s.read(running.id);
      expect(stored).toMatchObject({ status: 'failed', error: failure, leaseUntil: null, result: null });
      expect(stored.completedAt).toEqual(stored.updatedAt);
    });

    it('releases the job back to queued, so the redelivered message claims it at once', async () => {
      const running = processing({}, 60, 30);
      await s.put(running, 'a');

      const released = await s.leases.release(running.id, 'a');
      const stored = await s.read(running.id);
      const retry = claimed(await s.leases.claim(running.id, 'b', 60));

      expect(released).toBe(true);
      expect(stored).toMatchObject({ status: 'queued', leaseUntil: null, attempts: 1 });
      expect(retry.attempts).toBe(2);
    });

    it('cancels for the lease holder only, and the job is then finished', async () => {
      const running = processing({ cancelRequested: true }, 60, 30);
      await s.put(running, 'a');

      const stranger = await s.leases.markCancelled(running.id, 'b');
      const holder = await s.leases.markCancelled(running.id, 'a');

      expect([stranger, holder]).toEqual([false, true]);
      const stored = await s.read(running.id);
      expect(stored).toMatchObject({ status: 'cancelled', leaseUntil: null, result: null });
      expect(stored.completedAt).toEqual(stored.updatedAt);
      await expect(s.leases.claim(running.id, 'c', 60)).resolves.toEqual({
        skipped: 'finished',
        status: 'cancelled',
      });
    });

    it('reads a cancel request, false for unknown and malformed ids', async () => {
      const asked = job({ cancelRequested: true });
      const notAsked = job();
      await s.put(asked);
      await s.put(notAsked);

      await expect(s.leases.isCancelRequested(asked.id)).resolves.toBe(true);
      await expect(s.leases.isCancelRequested(notAsked.id)).resolves.toBe(false);
      await expect(s.leases.isCancelRequested(randomUUID())).resolves.toBe(false);
      await expect(s.leases.isCancelRequested('not-a-uuid')).resolves.toBe(false);
    });
  });

  describe('scheduled slots', () => {
    it('creates one queued job per slot, however many deliveries race, created now', async () => {
      const input = slot();
      const before = Date.now();

      const jobs = await Promise.all(Array.from({ length: 6 }, () => s.leases.ensureScheduledJob(input)));

      expect(new Set(jobs.map((j) => j.id)).size).toBe(1);
      const created = jobs[0]!;
      expect(created).toMatchObject({
        kind: 'scheduled',
        status: 'queued',
        spec: input.spec,
        tables: ['transactions'],
        format: 'csv',
        compression: 'none',
        options: {},
        requestedBy: null,
        requesterEmail: null,
        attempts: 0,
        cancelRequested: false,
        result: null,
        error: null,
        scheduleName: input.schedule,
        scheduledFor: input.scheduledFor,
        idempotencyKey: null,
        startedAt: null,
        completedAt: null,
      });
      // Listings and metrics order and window jobs by their creation time.
      expect(created.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(created.updatedAt).toEqual(created.createdAt);
      expect(await s.read(created.id)).toEqual(created);
    });

    it('creates the slot, leaves it while its status is not resettable, then resets it to a fresh queued run', async () => {
      const input = slot();
      const created = await s.leases.resetScheduledJob(input, ['failed']);
      claimed(await s.leases.claim(created.job.id, 'a', 60));
      await s.leases.complete(created.job.id, 'a', result, { ...progress, percent: 100 });

      const refused = await s.leases.resetScheduledJob(input, ['failed', 'cancelled']);
      const rerun = {
        ...input,
        spec: {
          ...input.spec,
          format: 'json' as const,
          compression: 'gzip' as const,
          tables: ['transactions', 'users'],
        },
        requestedBy: 'admin-1',
        requesterEmail: 'admin@example.com',
      };
      const reset = await s.leases.resetScheduledJob(rerun, ['completed', 'failed', 'cancelled']);
      const stored = await s.read(created.job.id);
      const third = await s.leases.resetScheduledJob(rerun, ['queued']);

      expect(created.outcome).toBe('created');
      expect(refused).toMatchObject({
        outcome: 'unchanged',
        job: { id: created.job.id, status: 'completed' },
      });
      expect(reset.outcome).toBe('reset');
      expect(reset.job).toMatchObject({
        id: created.job.id,
        status: 'queued',
        format: 'json',
        compression: 'gzip',
        tables: ['transactions', 'users'],
        spec: rerun.spec,
        options: { run: 2 },
        requestedBy: 'admin-1',
        requesterEmail: 'admin@example.com',
        attempts: 0,
        cancelRequested: false,
        leaseUntil: null,
        progress: {},
        rowsExported: 0,
        bytesWritten: 0,
        result: null,
        error: null,
        startedAt: null,
        completedAt: null,
      });
      expect(stored).toEqual(reset.job);
      expect(third.job.options).toMatchObject({ run: 3 });
      // The worker of the first run lost its lease with the reset.
      await expect(s.leases.complete(created.job.id, 'a', result, progress)).resolves.toBe(false);
    });
  });

  // The sweeper's methods pick the oldest matching jobs, but the order of the answer is not part of
  // the contract: the Postgres adapter returns its UPDATE's rows in no particular order.
  describe("the sweeper's side", () => {
    const criteria: ExpiredLeaseCriteria = { expiredBefore: ago(300), maxAttempts: 3, limit: 10 };

    it('touches queued jobs untouched since their grace period, by whether they were ever claimed', async () => {
      const unclaimed = job({}, 600);
      const released = job({ attempts: 1 }, 600);
      const fresh = job({}, 10);
      const running = processing({}, 600, -300);
      for (const j of [unclaimed, released, fresh, running]) await s.put(j);
      const unclaimedBefore = ago(300);
      const releasedBefore = ago(900);

      const first = await s.leases.touchStaleQueued({ unclaimedBefore, releasedBefore, limit: 10 });
      const again = await s.leases.touchStaleQueued({ unclaimedBefore, releasedBefore, limit: 10 });
      const laterOn = await s.leases.touchStaleQueued({
        unclaimedBefore,
        releasedBefore: ago(300),
        limit: 10,
      });

      expect(first).toEqual([unclaimed.id]);
      expect(again).toEqual([]);
      expect(laterOn).toEqual([released.id]);
      const touched = await s.read(unclaimed.id);
      expect(touched.updatedAt.getTime()).toBeGreaterThan(unclaimedBefore.getTime());
      expect(touched).toEqual({ ...unclaimed, updatedAt: touched.updatedAt });
      expect(await s.read(fresh.id)).toEqual(fresh);
      expect(await s.read(running.id)).toEqual(running);
    });

    it('touches the oldest stale queued jobs, at most `limit`', async () => {
      // Stored youngest first, so an answer in storage order would show.
      const jobs = [job({}, 700), job({}, 800), job({}, 900)];
      for (const j of jobs) await s.put(j);

      const touched = await s.leases.touchStaleQueued({
        unclaimedBefore: ago(300),
        releasedBefore: ago(300),
        limit: 2,
      });

      expect(sorted(touched)).toEqual(sorted([jobs[2]!.id, jobs[1]!.id]));
    });

    it('touches expired leases under maxAttempts, or asked to cancel, keeping lease and owner for the next claim', async () => {
      const retry = processing({ attempts: 1 }, 700, -600);
      const cancelling = processing({ attempts: 3, cancelRequested: true }, 650, -600);
      const exhausted = processing({ attempts: 3 }, 640, -600);
      const running = processing({ attempts: 1 }, 700, 60);
      const justWritten = processing({ attempts: 1 }, 10, -600);
      const queued = job({}, 700);
      for (const j of [retry, cancelling, exhausted, running, justWritten]) await s.put(j, 'gone');
      await s.put(queued);

      const touched = await s.leases.touchExpiredLeases(criteria);
      const again = await s.leases.touchExpiredLeases(criteria);

      expect(sorted(touched)).toEqual(sorted([retry.id, cancelling.id]));
      expect(again).toEqual([]);
      const stored = await s.read(retry.id);
      expect(stored).toEqual({ ...retry, updatedAt: stored.updatedAt });
      for (const j of [exhausted, running, justWritten, queued]) expect(await s.read(j.id)).toEqual(j);
      expect(claimed(await s.leases.claim(retry.id, 'next', 60)).attempts).toBe(2);
    });

    it('fails abandoned jobs at maxAttempts without a cancel request, once, and their old owner then changes nothing', async () => {
      const abandoned = processing({ attempts: 3 }, 700, -600);
      const older = processing({ attempts: 4 }, 800, -600);
      const cancelling = processing({ attempts: 3, cancelRequested: true }, 700, -600);
      const retry = processing({ attempts: 1 }, 700, -600);
      const running = processing({ attempts: 3 }, 700, 60);
      for (const j of [abandoned, older, cancelling, retry, running]) await s.put(j, 'gone');

      const failed = await s.leases.failAbandoned(criteria, failure);
      const again = await s.leases.failAbandoned(criteria, failure);

      expect(sorted(failed.map((j) => j.id))).toEqual(sorted([older.id, abandoned.id]));
      expect(again).toEqual([]);
      for (const j of failed) {
        expect(j).toMatchObject({ status: 'failed', error: failure, leaseUntil: null });
        expect(j.completedAt).toEqual(j.updatedAt);
        expect(await s.read(j.id)).toEqual(j);
      }
      for (const j of [cancelling, retry, running]) expect(await s.read(j.id)).toEqual(j);
      await expect(s.leases.complete(abandoned.id, 'gone', result, progress)).resolves.toBe(false);
    });
  });
});
