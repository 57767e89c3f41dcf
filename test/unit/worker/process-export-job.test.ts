import { describe, expect, it } from 'vitest';
import { verifyLinkToken } from '../../../functions/domain/access/link-token.js';
import {
  ConflictError,
  DependencyError,
  NotFoundError,
  TimeBudgetExceededError,
  UnrepresentableValueError,
} from '../../../functions/domain/errors.js';
import type { ExportJob } from '../../../functions/domain/jobs/export-job.js';
import { FAILURE_REASONS } from '../../../functions/domain/jobs/failure-reasons.js';
import { requestScheduledRun } from '../../../functions/domain/schedules/schedule-runs.js';
import { emailMessageId } from '../../../functions/domain/worker/job-outcomes.js';
import { processExportJob } from '../../../functions/domain/worker/process-export-job.js';
import type {
  ProcessExportJobDeps,
  ProcessExportJobInput,
} from '../../../functions/domain/worker/worker-deps.js';
import { bulkSpec, userSpec } from '../../support/job-specs.js';
import { InMemoryJobNotifications, RecordingEventPublisher } from '../../support/notification-fakes.js';
import {
  type FakeDatabaseOptions,
  FakeExportDatabase,
  InMemoryJobLeases,
  InMemoryObjectStore,
  jobFixture,
  RecordingAuditLog,
  RecordingMailer,
  RecordingMetrics,
} from '../../support/worker-fakes.js';

const LINK_SECRET = 'unit-test-link-secret-0123456789abcdef';
const BUCKET = 'export-bucket';

interface World {
  deps: ProcessExportJobDeps;
  leases: InMemoryJobLeases;
  database: FakeExportDatabase;
  stores: Map<string, InMemoryObjectStore>;
  store: InMemoryObjectStore;
  mailer: RecordingMailer;
  events: RecordingEventPublisher;
  notifications: InMemoryJobNotifications;
  audit: RecordingAuditLog;
  metrics: RecordingMetrics;
}

function world(
  options: { database?: FakeDatabaseOptions; store?: InMemoryObjectStore; mailer?: RecordingMailer } = {},
): World {
  const leases = new InMemoryJobLeases();
  const database = new FakeExportDatabase(options.database);
  const store = options.store ?? new InMemoryObjectStore();
  const stores = new Map<string, InMemoryObjectStore>([[BUCKET, store]]);
  const mailer = options.mailer ?? new RecordingMailer();
  const audit = new RecordingAuditLog();
  const metrics = new RecordingMetrics();
  const events = new RecordingEventPublisher();
  const notifications = new InMemoryJobNotifications(leases);
  const deps: ProcessExportJobDeps = {
    leases,
    database,
    storeFor: (bucket) => {
      let s = stores.get(bucket);
      if (!s) {
        s = new InMemoryObjectStore();
        stores.set(bucket, s);
      }
      return s;
    },
    defaultBucket: BUCKET,
    mailer,
    events,
    notifications,
    audit,
    metrics,
    linkSecret: LINK_SECRET,
    publicApiUrl: 'https://api.example.com/prod/',
    settings: { leaseSeconds: 60, linkTtlSeconds: 3600, heartbeatMs: 10, rateSampleMs: 50 },
  };
  return { deps, leases, database, stores, store, mailer, events, notifications, audit, metrics };
}

function input(
  job: Pick<ExportJob, 'id'>,
  overrides: Partial<ProcessExportJobInput> = {},
): ProcessExportJobInput {
  return {
    message: { jobId: job.id },
    receiveCount: 1,
    maxReceiveCount: 3,
    remainingTimeMs: () => 15 * 60 * 1000,
    ...overrides,
  };
}

describe('processExportJob', () => {
  it('completes a queued bulk job: one object, manifest with bucket, one email with a signed link, audit and metrics', async () => {
    const w = world({ database: { rows: { users: 42 } } });
    const job = w.leases.add(jobFixture());

    const outcome = await processExportJob(w.deps, input(job));

    expect(outcome.status).toBe('completed');
    const stored = w.leases.get(job.id);
    expect(stored.status).toBe('completed');
    expect(stored.result).toMatchObject({
      objectKey: `exports/${job.id}/1/users.csv`,
      bucket: BUCKET,
      fileName: 'users_2024-05-01.csv',
      rows: 42,
      tables: [{ name: 'users', rows: 42 }],
    });
    expect(w.store.objects.get(`exports/${job.id}/1/users.csv`)?.toString()).toContain('41,name-41\n');
    expect(stored.progress).toMatchObject({ percent: 100, rowsExported: 42 });
    expect(w.mailer.sent).toHaveLength(1);
    const email = w.mailer.sent[0]!;
    expect(email).toMatchObject({ to: 'admin@example.com', messageId: `${job.id}:completed` });
    const link = /https:\/\/api\.example\.com\/prod\/api\/export\/jobs\/([^/]+)\/download\?token=(\S+)/.exec(
      email.text,
    );
    expect(link?.[1]).toBe(job.id);
    await expect(verifyLinkToken(LINK_SECRET, decodeURIComponent(link![2]!), job.id)).resolves.toEqual({
      userId: job.requestedBy,
    });
    expect(w.audit.actions(job.id)).toEqual(['started', 'completed']);
    expect(w.metrics.completed).toEqual([expect.objectContaining({ kind: 'bulk', format: 'csv', rows: 42 })]);
    expect(w.events.published).toEqual([
      {
        detailType: 'Export Completed',
        detail: expect.objectContaining({
          eventId: `evt_${job.id}_completed`,
          jobId: job.id,
          kind: 'bulk',
          format: 'csv',
          status: 'completed',
          rows: 42,
          files: 1,
          requestedBy: job.requestedBy,
        }),
      },
    ]);
    expect(JSON.stringify(w.events.published)).not.toMatch(/https?:\/\//);
    expect([...w.notifications.sent].sort()).toEqual([`${job.id}:email`, `${job.id}:event`]);
  });

  it('leaves a notification the mailer or the bus refused unrecorded, for the sweeper to resend', async () => {
    const w = world({
      database: { rows: { users: 3 } },
      mailer: new RecordingMailer(() => new Error('SES throttled')),
    });
    w.events.fail = () => new Error('PutEvents throttled');
    const job = w.leases.add(jobFixture());

    const outcome = await processExportJob(w.deps, input(job));

    expect(outcome.status).toBe('completed');
    expect(w.leases.get(job.id).status).toBe('completed');
    expect([...w.notifications.sent]).toEqual([]);
  });

  it('acknowledges and skips a message for a finished job without writing anything', async () => {
    const w = world();
    const job = w.leases.add(jobFixture({ status: 'completed' }));

    const outcome = await processExportJob(w.deps, input(job));

    expect(outcome).toEqual({ status: 'skipped', jobId: job.id, reason: 'finished' });
    expect(w.store.objects.size).toBe(0);
    expect(w.mailer.sent).toHaveLength(0);
    expect(w.audit.entries).toHaveLength(0);
  });

  it('skips a job leased by another worker, and a job that does not exist', async () => {
    const w = world();
    const leased = w.leases.add(
      jobFixture({ status: 'processing', leaseUntil: new Date(Date.now() + 60_000) }),
      'other',
    );

    await expect(processExportJob(w.deps, input(leased))).resolves.toMatchObject({
      status: 'skipped',
      reason: 'leased',
    });
    await expect(processExportJob(w.deps, input({ id: jobFixture().id }))).resolves.toMatchObject({
      status: 'skipped',
      reason: 'not_found',
    });
    expect(w.leases.get(leased.id).status).toBe('processing');
  });

  it('handles the same message delivered twice at once with one object, one completion and one email', async () => {
    const w = world({ database: { rows: { users: 200 }, chunkDelayMs: 2 } });
    const job = w.leases.add(jobFixture());

    const outcomes = await Promise.all([
      processExportJob(w.deps, input(job)),
      processExportJob(w.deps, input(job)),
    ]);

    expect(outcomes.map((o) => o.status).sort()).toEqual(['completed', 'skipped']);
    expect(w.leases.completions).toBe(1);
    expect(w.store.puts.get(`exports/${job.id}/1/users.csv`)).toBe(1);
    expect(w.mailer.sent).toHaveLength(1);
  });

  it('takes over a job whose worker crashed (expired lease) and completes it', async () => {
    const w = world();
    const job = w.leases.add(
      jobFixture({ status: 'processing', attempts: 1, leaseUntil: new Date(Date.now() - 1) }),
      'crashed',
    );

    const outcome = await processExportJob(w.deps, input(job, { receiveCount: 2 }));

    expect(outcome.status).toBe('completed');
    expect(w.leases.get(job.id).attempts).toBe(2);
  });

  describe('objects of attempts that did not win', () => {
    it("keeps the winner's object when a worker that lost its lease finishes its upload late, and removes the late one", async () => {
      const w = world({ database: { rows: { users: 3_000 }, rowsPerChunk: 100, chunkDelayMs: 5 } });
      const job = w.leases.add(jobFixture());
      // A heartbeat slower than the export: worker A never learns its lease was taken over.
      const slowBeat = { ...w.deps, settings: { ...w.deps.settings, heartbeatMs: 60_000 } };

      const late = processExportJob(slowBeat, input(job, { workerId: 'A' }));
      await expect.poll(() => w.database.statements.length, { timeout: 5_000 }).toBeGreaterThan(0);
      w.leases.patch(job.id, { leaseUntil: new Date(Date.now() - 1) });
      const winner = await processExportJob(w.deps, input(job, { workerId: 'B', receiveCount: 2 }));
      const loser = await late;

      expect(winner).toMatchObject({
        status: 'completed',
        result: { objectKey: `exports/${job.id}/2/users.csv` },
      });
      expect(loser).toMatchObject({ status: 'skipped', reason: 'lease_lost' });
      const recorded = w.leases.get(job.id).result!;
      expect([...w.store.objects.keys()]).toEqual([recorded.objectKey]);
      expect(recorded.etag).toBe((await w.store.head(recorded.objectKey))?.etag);
      expect(w.mailer.sent).toHaveLength(1);
    });

    it('removes the object of an attempt that crashed between its upload and its completion', async () => {
      const w = world({ database: { rows: { users: 50 } } });
      const job = w.leases.add(jobFixture());
      const complete = w.leases.complete.bind(w.leases);
      let crashes = 1;
      w.leases.complete = async (...args) => {
        if (crashes-- > 0) throw new DependencyError('database unavailable');
        return complete(...args);
      };

      await expect(processExportJob(w.deps, input(job))).rejects.toBeInstanceOf(DependencyError);
      expect([...w.store.objects.keys()]).toEqual([`exports/${job.id}/1/users.csv`]);
      const outcome = await processExportJob(w.deps, input(job, { receiveCount: 2 }));

      expect(outcome).toMatchObject({
        status: 'completed',
        result: { objectKey: `exports/${job.id}/2/users.csv` },
      });
      expect([...w.store.objects.keys()]).toEqual([`exports/${job.id}/2/users.csv`]);
    });

    it('leaves no object of any attempt when the job fails for good', async () => {
      const w = world({ database: { rows: { users: 50 } } });
      const job = w.leases.add(jobFixture());
      const complete = w.leases.complete.bind(w.leases);
      w.leases.complete = async () => {
        throw new DependencyError('database unavailable');
      };

      await expect(processExportJob(w.deps, input(job, { receiveCount: 1 }))).rejects.toThrow();
      await expect(processExportJob(w.deps, input(job, { receiveCount: 3 }))).rejects.toThrow();
      w.leases.complete = complete;

      expect(w.leases.get(job.id).status).toBe('failed');
      expect(w.store.objects.size).toBe(0);
    });
  });

  it('cancels a running export when cancellation is requested: cancelled, no object, no email', async () => {
    const w = world({ database: { rows: { users: 100_000 }, rowsPerChunk: 100, chunkDelayMs: 2 } });
    const job = w.leases.add(jobFixture());

    const running = processExportJob(w.deps, input(job));
    await expect.poll(() => w.leases.get(job.id).rowsExported, { timeout: 5_000 }).toBeGreaterThan(0);
    w.leases.requestCancel(job.id);
    const outcome = await running;

    expect(outcome).toEqual({ status: 'cancelled', jobId: job.id });
    expect(w.leases.get(job.id).status).toBe('cancelled');
    expect(w.store.objects.size).toBe(0);
    expect(w.store.aborted).toBe(1);
    expect(w.mailer.sent).toHaveLength(0);
    expect(w.audit.actions(job.id)).toEqual(['started', 'cancelled']);
    expect(w.events.published.map((e) => [e.detailType, e.detail.eventId])).toEqual([
      ['Export Cancelled', `evt_${job.id}_cancelled`],
    ]);
  });

  it('cancels an export whose cancellation arrives while it is still counting rows', async () => {
    let unblock = () => {};
    const countGate = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    const w = world({ database: { countGate } });
    const job = w.leases.add(jobFixture());

    const running = processExportJob(w.deps, input(job));
    await expect.poll(() => w.database.sources.length, { timeout: 5_000 }).toBeGreaterThan(0);
    const beatsBefore = w.leases.progressHistory.get(job.id)?.length ?? 0;
    w.leases.requestCancel(job.id);
    // A heartbeat sees the request while the count is still blocked.
    await expect
      .poll(() => w.leases.progressHistory.get(job.id)?.length ?? 0, { timeout: 5_000 })
      .toBeGreaterThan(beatsBefore);
    unblock();
    const outcome = await running;

    expect(outcome).toEqual({ status: 'cancelled', jobId: job.id });
    expect(w.database.statements).toEqual([]);
    expect(w.store.objects.size).toBe(0);
  });

  it('cancels a job whose cancellation was requested before it was claimed, without exporting', async () => {
    const w = world();
    const job = w.leases.add(jobFixture({ cancelRequested: true }));

    await expect(processExportJob(w.deps, input(job))).resolves.toMatchObject({ status: 'cancelled' });
    expect(w.database.statements).toEqual([]);
  });

  it('releases the lease and rethrows a retryable failure before the last receive, without email', async () => {
    const w = world({ database: { unavailable: () => new DependencyError('database unavailable') } });
    const job = w.leases.add(jobFixture());

    await expect(
      processExportJob(w.deps, input(job, { receiveCount: 1, maxReceiveCount: 3 })),
    ).rejects.toBeInstanceOf(DependencyError);

    expect(w.leases.get(job.id)).toMatchObject({ status: 'queued', leaseUntil: null, attempts: 1 });
    expect(w.mailer.sent).toHaveLength(0);
    expect(w.metrics.failed).toHaveLength(0);
  });

  it('treats an unexpected error as transient: released and rethrown', async () => {
    const w = world({ database: { failAfterRows: { rows: 20, error: () => new TypeError('boom') } } });
    const job = w.leases.add(jobFixture());

    await expect(processExportJob(w.deps, input(job))).rejects.toThrow('boom');

    expect(w.leases.get(job.id).status).toBe('queued');
    expect(w.store.objects.size).toBe(0);
    await expect(processExportJob(w.deps, input(job, { receiveCount: 2 }))).resolves.toMatchObject({
      status: 'completed',
    });
  });

  it('marks the job failed on the last receive of a retryable failure, emails once, and still throws for the DLQ', async () => {
    const w = world({ database: { unavailable: () => new DependencyError('database unavailable') } });
    const job = w.leases.add(jobFixture());

    await expect(
      processExportJob(w.deps, input(job, { receiveCount: 3, maxReceiveCount: 3 })),
    ).rejects.toBeInstanceOf(DependencyError);

    expect(w.leases.get(job.id)).toMatchObject({
      status: 'failed',
      error: { code: 'dependency_unavailable', retryable: true },
    });
    expect(w.mailer.sent).toEqual([
      expect.objectContaining({ messageId: `${job.id}:failed`, subject: 'Export failed: users' }),
    ]);
    expect(w.metrics.failed).toEqual([{ kind: 'bulk', format: 'csv' }]);
    expect(w.audit.actions(job.id)).toEqual(['started', 'failed']);
  });

  it('never shows internal error text to the owner: a fixed message for its code on the job and in the email', async () => {
    const internal = 'relation "secret_table" does not exist at 10.0.3.7:5432';
    const w = world({ database: { failAfterRows: { rows: 20, error: () => new TypeError(internal) } } });
    const job = w.leases.add(jobFixture());

    await expect(
      processExportJob(w.deps, input(job, { receiveCount: 5, maxReceiveCount: 5 })),
    ).rejects.toThrow(internal);

    const stored = w.leases.get(job.id).error;
    expect(stored).toEqual({
      code: 'internal_error',
      message: FAILURE_REASONS.internal_error,
      retryable: true,
    });
    expect(JSON.stringify(stored)).not.toContain('secret_table');
    expect(w.mailer.sent).toHaveLength(1);
    expect(w.mailer.sent[0]!.text).not.toContain('secret_table');
    expect(w.mailer.sent[0]!.html).not.toContain('secret_table');
  });

  it('fails a job whose spec no longer validates, emails once and acknowledges', async () => {
    const w = world();
    const job = w.leases.add(jobFixture({ spec: bulkSpec({ tables: ['payroll'] }) }));

    const outcome = await processExportJob(w.deps, input(job));

    expect(outcome).toMatchObject({
      status: 'failed',
      error: { code: 'invalid_request', message: FAILURE_REASONS.invalid_request, retryable: false },
    });
    expect(w.leases.get(job.id).status).toBe('failed');
    expect(w.leases.get(job.id).error?.message).toBe(FAILURE_REASONS.invalid_request);
    expect(w.mailer.sent).toHaveLength(1);
    // The requester learns the typed reason and what to do, not the internal message.
    expect(w.mailer.sent[0]!.text).toContain('Error code: invalid_request');
    expect(w.events.published.map((e) => [e.detailType, e.detail.error])).toEqual([
      ['Export Failed', { code: 'invalid_request', message: FAILURE_REASONS.invalid_request }],
    ]);
    expect(w.mailer.sent[0]!.text).toContain(FAILURE_REASONS.invalid_request);
    expect(w.mailer.sent[0]!.text).not.toContain('unknown table');
    await expect(processExportJob(w.deps, input(job, { receiveCount: 2 }))).resolves.toMatchObject({
      status: 'skipped',
    });
    expect(w.mailer.sent).toHaveLength(1);
  });

  it('fails a job at once, not retried, when a value cannot be written exactly in its format', async () => {
    const error = () =>
      new UnrepresentableValueError('transactions.amount: NaN is not a DECIMAL(12,2) value');
    const w = world({ database: { failAfterRows: { rows: 20, error } } });
    const job = w.leases.add(jobFixture());

    const outcome = await processExportJob(w.deps, input(job));

    expect(outcome).toMatchObject({
      status: 'failed',
      error: {
        code: 'value_not_representable',
        message: FAILURE_REASONS.value_not_representable,
        retryable: false,
      },
    });
    expect(w.store.objects.size).toBe(0);
    expect(w.mailer.sent).toHaveLength(1);
    expect(w.mailer.sent[0]!.text).toContain(FAILURE_REASONS.value_not_representable);
  });

  it('stops and releases an export that cannot finish in the time left, before the deadline', async () => {
    const w = world({ database: { rows: { users: 100_000 }, rowsPerChunk: 100, chunkDelayMs: 2 } });
    const job = w.leases.add(jobFixture());
    const deadline = Date.now() + 31_000;

    const error = await processExportJob(
      w.deps,
      input(job, { remainingTimeMs: () => deadline - Date.now() }),
    ).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TimeBudgetExceededError);
    expect((error as TimeBudgetExceededError).retryable).toBe(true);
    expect(w.leases.get(job.id)).toMatchObject({ status: 'queued', leaseUntil: null });
    expect(w.store.objects.size).toBe(0);
  });

  it('does not start an export when the invocation is about to end', async () => {
    const w = world();
    const job = w.leases.add(jobFixture());

    await expect(
      processExportJob(w.deps, input(job, { remainingTimeMs: () => 5_000 })),
    ).rejects.toBeInstanceOf(TimeBudgetExceededError);
    expect(w.database.statements).toEqual([]);
  });

  it('writes progress that never goes backwards and ends at 100 % with an ETA while running', async () => {
    const w = world({ database: { rows: { users: 3_000 }, rowsPerChunk: 50, chunkDelayMs: 3 } });
    const job = w.leases.add(jobFixture());

    await processExportJob(w.deps, input(job));

    const history = w.leases.progressHistory.get(job.id) ?? [];
    expect(history.length).toBeGreaterThan(3);
    for (const [i, p] of history.entries()) {
      if (i === 0) continue;
      expect(p.percent).toBeGreaterThanOrEqual(history[i - 1]!.percent);
      expect(p.rowsExported).toBeGreaterThanOrEqual(history[i - 1]!.rowsExported);
      expect(p.bytesWritten).toBeGreaterThanOrEqual(history[i - 1]!.bytesWritten);
    }
    expect(history.at(-1)).toMatchObject({
      percent: 100,
      rowsExported: 3_000,
      rowsTotal: 3_000,
      tablesDone: 1,
    });
    expect(history.slice(0, -1).every((p) => p.percent < 100)).toBe(true);
    expect(history.some((p) => typeof p.etaSeconds === 'number')).toBe(true);
  });

  it('stops quietly when its lease was taken over, leaving the outcome to the new holder', async () => {
    const w = world({ database: { rows: { users: 100_000 }, rowsPerChunk: 100, chunkDelayMs: 2 } });
    const job = w.leases.add(jobFixture());

    const stale = processExportJob(w.deps, input(job));
    await expect.poll(() => w.leases.get(job.id).status).toBe('processing');
    w.leases.expireLease(job.id);
    await w.leases.claim(job.id, 'new-owner', 60);
    const outcome = await stale;

    expect(outcome).toEqual({ status: 'skipped', jobId: job.id, reason: 'lease_lost' });
    expect(w.leases.get(job.id).status).toBe('processing');
    expect(w.store.objects.size).toBe(0);
    expect(w.mailer.sent).toHaveLength(0);
  });

  it('keeps the completion when the email cannot be sent', async () => {
    const w = world({ mailer: new RecordingMailer(() => new DependencyError('email service unavailable')) });
    const job = w.leases.add(jobFixture());

    await expect(processExportJob(w.deps, input(job))).resolves.toMatchObject({ status: 'completed' });
    expect(w.leases.get(job.id).status).toBe('completed');
  });

  it('exports a user job as the four sections with the formula guard on, in a zip for CSV', async () => {
    const w = world();
    const userId = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const job = w.leases.add(jobFixture({ spec: userSpec(userId, { format: 'csv' }) }));

    const outcome = await processExportJob(w.deps, input(job));

    expect(outcome).toMatchObject({
      status: 'completed',
      result: { objectKey: `exports/${job.id}/1/user_export.zip` },
    });
    expect(w.database.sources.map((s) => s.name)).toEqual(['profile', 'transactions', 'courses', 'activity']);
    expect(w.database.statements.every((s) => s.includes("THEN '''' ||"))).toBe(true);
    expect(w.mailer.sent[0]!.subject).toBe('Your data export is ready');
  });

  describe('scheduled runs', () => {
    const message = { schedule: 'daily_transactions', scheduledTime: '2024-05-02T01:00:00Z' };

    it('creates the slot job once and writes the catalogue key; no email without a requester', async () => {
      const w = world();

      const first = await processExportJob(w.deps, { ...input({ id: '' }), message });
      const second = await processExportJob(w.deps, { ...input({ id: '' }), message });

      expect(first).toMatchObject({
        status: 'completed',
        result: { objectKey: 'daily/transactions/daily_transactions_2024-05-02.csv', bucket: BUCKET },
      });
      expect(second).toMatchObject({ status: 'skipped', reason: 'finished', jobId: first.jobId });
      expect(w.leases.jobs.size).toBe(1);
      const job = w.leases.get(first.jobId!);
      expect(job).toMatchObject({
        kind: 'scheduled',
        scheduleName: 'daily_transactions',
        requestedBy: null,
      });
      expect(job.scheduledFor?.toISOString()).toBe('2024-05-02T00:00:00.000Z');
      expect(w.database.sources[0]!.params).toEqual({
        window_start: '2024-05-01T00:00:00.000Z',
        window_end: '2024-05-02T00:00:00.000Z',
      });
      expect(w.mailer.sent).toHaveLength(0);
    });

    it('acknowledges a message for an unknown schedule', async () => {
      const w = world();

      await expect(
        processExportJob(w.deps, {
          ...input({ id: '' }),
          message: { schedule: 'nope', scheduledTime: message.scheduledTime },
        }),
      ).resolves.toEqual({ status: 'skipped', jobId: null, reason: 'unknown_schedule' });
    });

    it('refuses to rerun a completed date without force, and with force replaces the object and emails the admin', async () => {
      const w = world();
      const first = await processExportJob(w.deps, { ...input({ id: '' }), message });
      const admin = {
        requestedBy: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
        requesterEmail: 'admin@example.com',
      };
      const request = {
        schedule: 'daily_transactions',
        scheduledFor: new Date('2024-05-02T15:30:00Z'),
        ...admin,
      };

      await expect(requestScheduledRun(w.deps, { ...request, force: false })).rejects.toBeInstanceOf(
        ConflictError,
      );
      const rerun = await requestScheduledRun(w.deps, { ...request, force: true });
      const outcome = await processExportJob(w.deps, input(rerun));

      expect(rerun).toMatchObject({ id: first.jobId, status: 'queued', requestedBy: admin.requestedBy });
      expect(outcome.status).toBe('completed');
      expect(w.leases.jobs.size).toBe(1);
      expect(w.store.puts.get('daily/transactions/daily_transactions_2024-05-02.csv')).toBe(2);
      expect(w.mailer.sent.map((m) => m.messageId)).toEqual([`${first.jobId}:completed:run-2`]);
    });

    it('rejects a run request for an unknown schedule with NotFoundError', async () => {
      const w = world();
      await expect(
        requestScheduledRun(w.deps, {
          schedule: 'nope',
          scheduledFor: new Date(),
          requestedBy: 'x',
          requesterEmail: null,
          force: false,
        }),
      ).rejects.toBeInstanceOf(NotFoundError);
    });
  });
});

describe('emailMessageId', () => {
  it('is the job id and outcome, with the run number for scheduled reruns', () => {
    expect(emailMessageId({ id: 'j', options: {} }, 'completed')).toBe('j:completed');
    expect(emailMessageId({ id: 'j', options: { run: 3 } }, 'failed')).toBe('j:failed:run-3');
  });
});
