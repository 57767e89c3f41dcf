import { describe, expect, it } from 'vitest';
import { DependencyError } from '../../../functions/domain/errors.js';
import type { ExportJob } from '../../../functions/domain/jobs/export-job.js';
import { isClaimSkipped } from '../../../functions/domain/jobs/job-leases.js';
import {
  ABANDONED_ERROR,
  type SweepStaleJobsInput,
  sweepStaleJobs,
} from '../../../functions/domain/worker/sweep-stale-jobs.js';
import { RecordingQueue } from '../../support/api-fakes.js';
import { InMemoryJobNotifications, RecordingEventPublisher } from '../../support/notification-fakes.js';
import {
  InMemoryJobLeases,
  InMemoryObjectStore,
  jobFixture,
  RecordingAuditLog,
  RecordingMailer,
  RecordingMetrics,
} from '../../support/worker-fakes.js';

const MAX_ATTEMPTS = 5;
const GRACE_SECONDS = 300;

function world(options: { mailer?: RecordingMailer } = {}) {
  const leases = new InMemoryJobLeases();
  const queue = new RecordingQueue();
  const mailer = options.mailer ?? new RecordingMailer();
  const audit = new RecordingAuditLog();
  const metrics = new RecordingMetrics();
  const store = new InMemoryObjectStore();
  const events = new RecordingEventPublisher();
  const notifications = new InMemoryJobNotifications(leases);
  const deps = {
    leases,
    queue,
    mailer,
    events,
    notifications,
    audit,
    metrics,
    storeFor: () => store,
    defaultBucket: 'exports',
    linkSecret: 'unit-test-link-secret-0123456789abcdef',
    publicApiUrl: 'https://api.example.com',
    settings: { leaseSeconds: 60, linkTtlSeconds: 3600 },
  };
  const sweep = (overrides: Partial<SweepStaleJobsInput> = {}) =>
    sweepStaleJobs(deps, {
      now: new Date(),
      queuedGraceSeconds: GRACE_SECONDS,
      maxAttempts: MAX_ATTEMPTS,
      ...overrides,
    });
  return { leases, queue, mailer, events, notifications, audit, metrics, store, sweep };
}

const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
const jobIds = (queue: RecordingQueue) => queue.messages.map((m) => ('jobId' in m ? m.jobId : null));

/** A `processing` job whose lease ran out `expiredSecondsAgo` seconds ago, held by `owner`. */
function leasedJob(
  leases: InMemoryJobLeases,
  expiredSecondsAgo: number,
  overrides: Partial<ExportJob> = {},
  owner = 'worker-gone',
): ExportJob {
  return leases.add(
    jobFixture({
      status: 'processing',
      attempts: 1,
      leaseUntil: ago(expiredSecondsAgo),
      updatedAt: ago(expiredSecondsAgo + 120),
      startedAt: ago(expiredSecondsAgo + 600),
      ...overrides,
    }),
    owner,
  );
}

describe('sweepStaleJobs: queued jobs', () => {
  it('re-enqueues a queued job left longer than the grace period, once per grace period', async () => {
    const { leases, queue, sweep } = world();
    const job = leases.add(jobFixture({ createdAt: ago(600), updatedAt: ago(600) }));

    const first = await sweep();
    const second = await sweep();

    expect(first).toEqual({ requeued: 1, failed: 0, renotified: 0 });
    expect(second).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    expect(queue.messages).toEqual([{ jobId: job.id }]);
    expect(leases.get(job.id).status).toBe('queued');
    expect(leases.get(job.id).updatedAt.getTime()).toBeGreaterThan(ago(5).getTime());
  });

  it('leaves a queued job younger than the grace period alone', async () => {
    const { leases, queue, sweep } = world();
    const job = leases.add(jobFixture({ createdAt: ago(60), updatedAt: ago(60) }));

    const result = await sweep();

    expect(result).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    expect(queue.messages).toEqual([]);
    expect(leases.get(job.id).updatedAt).toEqual(job.updatedAt);
  });

  it("leaves a job a worker released to SQS's redelivery until the redelivery is overdue", async () => {
    const { leases, queue, sweep } = world();
    const released = leases.add(jobFixture({ attempts: 1, createdAt: ago(3600), updatedAt: ago(1200) }));

    const early = await sweep({ redeliveryDelaySeconds: 5400 });
    const overdue = await sweep({ redeliveryDelaySeconds: 600 });

    expect(early.requeued).toBe(0);
    expect(overdue.requeued).toBe(1);
    expect(jobIds(queue)).toEqual([released.id]);
  });

  it('handles more stale jobs than one batch holds', async () => {
    const { leases, queue, sweep } = world();
    const jobs = Array.from({ length: 5 }, (_, i) =>
      leases.add(jobFixture({ updatedAt: ago(1000 + i), createdAt: ago(1000 + i) })),
    );

    const result = await sweep({ batchSize: 2 });

    expect(result.requeued).toBe(5);
    expect(jobIds(queue).sort()).toEqual(jobs.map((j) => j.id).sort());
  });

  it('throws when the queue refuses, and sends the touched job one grace period later', async () => {
    const { leases, queue, sweep } = world();
    const job = leases.add(jobFixture({ updatedAt: ago(600) }));
    queue.unavailable = true;

    await expect(sweep()).rejects.toBeInstanceOf(DependencyError);
    queue.unavailable = false;
    const soon = await sweep();
    const later = await sweep({ now: new Date(Date.now() + (GRACE_SECONDS + 1) * 1000) });

    expect(soon.requeued).toBe(0);
    expect(later.requeued).toBe(1);
    expect(jobIds(queue)).toEqual([job.id]);
  });

  it('ignores finished jobs however old', async () => {
    const { leases, queue, notifications, sweep } = world();
    for (const status of ['completed', 'failed', 'cancelled'] as const) {
      const job = leases.add(jobFixture({ status, attempts: MAX_ATTEMPTS, updatedAt: ago(86_400) }));
      await notifications.markSent(job.id, 'email');
      await notifications.markSent(job.id, 'event');
    }

    expect(await sweep()).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    expect(queue.messages).toEqual([]);
  });
});

describe('sweepStaleJobs: processing jobs with an expired lease', () => {
  it('re-enqueues one under maxAttempts without touching its lease, and the next claim takes it over', async () => {
    const { leases, queue, mailer, sweep } = world();
    const job = leasedJob(leases, 600, { attempts: MAX_ATTEMPTS - 1 });

    const result = await sweep();
    const again = await sweep();
    const claim = await leases.claim(job.id, 'worker-new', 60);

    expect(result).toEqual({ requeued: 1, failed: 0, renotified: 0 });
    expect(again).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    expect(jobIds(queue)).toEqual([job.id]);
    expect(mailer.sent).toEqual([]);
    expect(isClaimSkipped(claim)).toBe(false);
    expect(leases.get(job.id).attempts).toBe(MAX_ATTEMPTS);
  });

  it('leaves a live lease and one that expired less than the grace period ago alone', async () => {
    const { leases, queue, sweep } = world();
    leases.add(
      jobFixture({ status: 'processing', attempts: MAX_ATTEMPTS, leaseUntil: new Date(Date.now() + 60_000) }),
    );
    leasedJob(leases, 60, { attempts: MAX_ATTEMPTS });
    leasedJob(leases, 60, { attempts: 1 });

    expect(await sweep()).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    expect(queue.messages).toEqual([]);
  });

  it('fails an abandoned job at maxAttempts once: error, audit, metric and one failure email', async () => {
    const { leases, queue, mailer, audit, metrics, sweep } = world();
    const job = leasedJob(leases, 600, { attempts: MAX_ATTEMPTS, requesterEmail: 'owner@example.com' });

    const first = await sweep();
    const second = await sweep();

    expect(first).toEqual({ requeued: 0, failed: 1, renotified: 0 });
    expect(second).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    expect(queue.messages).toEqual([]);
    const failed = leases.get(job.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual(ABANDONED_ERROR);
    expect(failed.error?.retryable).toBe(false);
    expect(failed.leaseUntil).toBeNull();
    expect(audit.actions(job.id)).toEqual(['failed']);
    expect(audit.entries[0]).toMatchObject({
      userId: null,
      exportType: 'bulk',
      status: 'error',
      details: { error: ABANDONED_ERROR, attempt: MAX_ATTEMPTS },
    });
    expect(metrics.failed).toEqual([{ kind: 'bulk', format: 'csv' }]);
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({
      to: 'owner@example.com',
      messageId: `${job.id}:failed`,
      subject: 'Export failed: users',
    });
    expect(mailer.sent[0]?.text).toContain('Error code: abandoned');
  });

  it("names a scheduled rerun's failure email after its run, as the worker does", async () => {
    const { leases, mailer, sweep } = world();
    const job = leasedJob(leases, 600, {
      kind: 'scheduled',
      attempts: MAX_ATTEMPTS,
      options: { run: 2 },
      scheduleName: 'daily_transactions',
      scheduledFor: new Date('2024-05-01T00:00:00Z'),
    });

    await sweep();

    expect(mailer.sent.map((m) => m.messageId)).toEqual([`${job.id}:failed:run-2`]);
  });

  it('sends no email for a job without a requester address, and a mail failure does not undo the outcome', async () => {
    const { leases, mailer, audit, sweep } = world({
      mailer: new RecordingMailer(() => new Error('SES down')),
    });
    const silent = leasedJob(leases, 600, { attempts: MAX_ATTEMPTS, requesterEmail: null });
    const unlucky = leasedJob(leases, 700, { attempts: MAX_ATTEMPTS });

    const result = await sweep();

    expect(result.failed).toBe(2);
    expect(mailer.sent).toEqual([]);
    expect(leases.get(silent.id).status).toBe('failed');
    expect(leases.get(unlucky.id).status).toBe('failed');
    expect(audit.actions(unlucky.id)).toEqual(['failed']);
  });

  it('re-enqueues rather than fails an abandoned job whose cancellation was requested', async () => {
    const { leases, queue, mailer, sweep } = world();
    const job = leasedJob(leases, 600, { attempts: MAX_ATTEMPTS, cancelRequested: true });

    const result = await sweep();

    expect(result).toEqual({ requeued: 1, failed: 0, renotified: 0 });
    expect(jobIds(queue)).toEqual([job.id]);
    expect(leases.get(job.id).status).toBe('processing');
    expect(mailer.sent).toEqual([]);
  });

  it('wins over a late worker: once swept, the old lease holder can neither complete nor fail the job', async () => {
    const { leases, mailer, sweep } = world();
    const job = leasedJob(leases, 600, { attempts: MAX_ATTEMPTS }, 'worker-late');

    await sweep();
    const completed = await leases.complete(
      job.id,
      'worker-late',
      {
        objectKey: `exports/${job.id}/users.csv`,
        fileName: 'users.csv',
        contentType: 'text/csv',
        bytes: 1,
        sha256: '0'.repeat(64),
        rows: 1,
        tables: [{ name: 'users', rows: 1 }],
        exportedAt: new Date().toISOString(),
      },
      { rowsExported: 1, bytesWritten: 1, tablesDone: 1, tablesTotal: 1, percent: 100 },
    );
    const failedAgain = await leases.fail(job.id, 'worker-late', ABANDONED_ERROR);

    expect(completed).toBe(false);
    expect(failedAgain).toBe(false);
    expect(leases.get(job.id).status).toBe('failed');
    expect(mailer.sent).toHaveLength(1);
  });
});

describe('sweepStaleJobs: outcome notifications a crash left unsent', () => {
  const result = {
    objectKey: 'exports/x/users.csv',
    fileName: 'users.csv',
    contentType: 'text/csv',
    bytes: 42,
    sha256: 'ab'.repeat(32),
    rows: 3,
    tables: [{ name: 'users', rows: 3 }],
    exportedAt: '2024-05-01T00:00:00.000Z',
  };

  it('sends the email and the event of a job completed by a worker that died before notifying, once', async () => {
    const { leases, mailer, events, sweep } = world();
    const job = leases.add(
      jobFixture({ status: 'completed', result, completedAt: ago(600), updatedAt: ago(600) }),
    );

    const first = await sweep();
    const second = await sweep({ now: new Date(Date.now() + 3600_000) });

    expect(first.renotified).toBe(1);
    expect(second.renotified).toBe(0);
    expect(mailer.sent.map((m) => m.messageId)).toEqual([`${job.id}:completed`]);
    expect(mailer.sent[0]!.text).toContain(`/api/export/jobs/${job.id}/download?token=`);
    expect(events.published.map((e) => [e.detailType, e.detail.eventId, e.detail.rows])).toEqual([
      ['Export Completed', `evt_${job.id}_completed`, 3],
    ]);
  });

  it('publishes the event of a queued job the API cancelled, without an email', async () => {
    const { leases, mailer, events, sweep } = world();
    const job = leases.add(jobFixture({ status: 'cancelled', completedAt: ago(120), updatedAt: ago(120) }));

    await sweep();

    expect(mailer.sent).toEqual([]);
    expect(events.published.map((e) => [e.detailType, e.detail.jobId, e.detail.status])).toEqual([
      ['Export Cancelled', job.id, 'cancelled'],
    ]);
  });

  it("leaves a job that just finished to its worker's own notifications for the grace period", async () => {
    const { leases, mailer, events, sweep } = world();
    leases.add(jobFixture({ status: 'failed', error: ABANDONED_ERROR, updatedAt: ago(5) }));

    expect((await sweep()).renotified).toBe(0);
    expect(mailer.sent).toEqual([]);
    expect(events.published).toEqual([]);
  });

  it('resends only what is unsent, and retries a refused event at the next sweep', async () => {
    const { leases, mailer, events, notifications, sweep } = world();
    const job = leases.add(
      jobFixture({ status: 'failed', error: ABANDONED_ERROR, completedAt: ago(600), updatedAt: ago(600) }),
    );
    await notifications.markSent(job.id, 'email');
    events.fail = () => new Error('EventBridge throttled');

    await sweep();
    events.fail = undefined;
    await sweep({ now: new Date(Date.now() + 3600_000) });

    expect(mailer.sent).toEqual([]);
    expect(events.published.map((e) => [e.detail.eventId, e.detail.error])).toEqual([
      [`evt_${job.id}_failed`, { code: 'abandoned', message: ABANDONED_ERROR.message }],
    ]);
  });
});
