import { describe, expect, it, vi } from 'vitest';
import { bulkSpec } from '../../support/job-specs.js';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { DependencyError } from '../../../functions/domain/errors.js';
import type { ProcessExportJobDeps } from '../../../functions/domain/worker/worker-deps.js';
import { createExportWorkerHandler } from '../../../functions/handlers/export-worker.js';
import { InMemoryJobNotifications, RecordingEventPublisher } from '../../support/notification-fakes.js';
import { receivedMessage, sqsEventOf, workerContext } from '../../support/sqs-invocations.js';
import {
  FakeExportDatabase,
  InMemoryJobLeases,
  InMemoryObjectStore,
  jobFixture,
  RecordingAuditLog,
  RecordingMailer,
  RecordingMetrics,
} from '../../support/worker-fakes.js';

function runtime(database = new FakeExportDatabase()) {
  const leases = new InMemoryJobLeases();
  const store = new InMemoryObjectStore();
  const mailer = new RecordingMailer();
  const deps: ProcessExportJobDeps = {
    leases,
    database,
    storeFor: () => store,
    defaultBucket: 'bucket',
    mailer,
    events: new RecordingEventPublisher(),
    notifications: new InMemoryJobNotifications(leases),
    audit: new RecordingAuditLog(),
    metrics: new RecordingMetrics(),
    linkSecret: 'unit-test-link-secret-0123456789abcdef',
    publicApiUrl: 'http://localhost:3000',
    settings: { leaseSeconds: 60, linkTtlSeconds: 3600, heartbeatMs: 10 },
  };
  return { leases, store, mailer, handler: createExportWorkerHandler(() => ({ deps, maxReceiveCount: 3 })) };
}

describe('export worker handler', () => {
  it('processes a valid record and reports only the malformed ones as batch item failures', async () => {
    const { leases, handler } = runtime();
    const job = leases.add(jobFixture());
    const good = receivedMessage({ jobId: job.id });
    const notJson = receivedMessage('{"jobId": ');
    const badId = receivedMessage({ jobId: 'not-a-uuid' });
    const extraKey = receivedMessage({ jobId: job.id, admin: true });

    const response = await handler(sqsEventOf(notJson, good, badId, extraKey), workerContext());

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      [notJson.MessageId, badId.MessageId, extraKey.MessageId].sort(),
    );
    expect(leases.get(job.id).status).toBe('completed');
  });

  it('reports a retryable failure as a batch item failure so SQS redelivers that record alone', async () => {
    const { leases, handler } = runtime(
      new FakeExportDatabase({ unavailable: () => new DependencyError('db down') }),
    );
    const job = leases.add(jobFixture());
    const record = receivedMessage({ jobId: job.id }, { receiveCount: 1 });

    const response = await handler(sqsEventOf(record), workerContext());

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: record.MessageId }] });
    expect(leases.get(job.id).status).toBe('queued');
  });

  it('acknowledges a non-retryable failure after marking the job failed', async () => {
    const { leases, mailer, handler } = runtime();
    const job = leases.add(jobFixture({ spec: bulkSpec({ tables: ['payroll'] }) }));

    const response = await handler(sqsEventOf(receivedMessage({ jobId: job.id })), workerContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect(leases.get(job.id).status).toBe('failed');
    expect(mailer.sent).toHaveLength(1);
  });

  it('accepts the scheduled-run message', async () => {
    const { leases, store, handler } = runtime();

    const response = await handler(
      sqsEventOf(receivedMessage({ schedule: 'weekly_users', scheduledTime: '2024-05-05T02:00:00Z' })),
      workerContext(),
    );

    expect(response).toEqual({ batchItemFailures: [] });
    expect([...leases.jobs.values()].map((s) => s.job.status)).toEqual(['completed']);
    expect([...store.objects.keys()]).toEqual(['weekly/users/weekly_users_2024-05-05.json']);
  });

  it('passes the record receive count: the last receive of a retryable failure marks the job failed', async () => {
    const { leases, mailer, handler } = runtime(
      new FakeExportDatabase({ unavailable: () => new DependencyError('db down') }),
    );
    const job = leases.add(jobFixture());
    const record = receivedMessage({ jobId: job.id }, { receiveCount: 3 });

    const response = await handler(sqsEventOf(record), workerContext());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.MessageId }]);
    expect(leases.get(job.id).status).toBe('failed');
    expect(mailer.sent).toHaveLength(1);
  });
});
