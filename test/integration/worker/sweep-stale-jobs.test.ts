import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import postgres, { type Sql } from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { bulkSpec } from '../../support/job-specs.js';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
});

import { migrate } from '../../../db/migrate.js';
import { OutboxMailer, outboxFileName } from '../../../functions/adapters/mail/outbox-mailer.js';
import { type ExportJobRow, toExportJob } from '../../../functions/adapters/postgres/job-rows.js';
import { PostgresJobLeases } from '../../../functions/adapters/postgres/postgres-job-leases.js';
import { createSqsClient } from '../../../functions/adapters/sqs/client.js';
import { SqsExportQueue } from '../../../functions/adapters/sqs/sqs-export-queue.js';
import type { ExportJob } from '../../../functions/domain/jobs/export-job.js';
import type { EmailMessage, Mailer } from '../../../functions/domain/notifications/mailer.js';
import { ABANDONED_ERROR } from '../../../functions/domain/worker/sweep-stale-jobs.js';
import type { ProcessExportJobDeps } from '../../../functions/domain/worker/worker-deps.js';
import { createExportWorkerHandler } from '../../../functions/handlers/export-worker.js';
import { createSweeper, type Sweeper } from '../../../functions/wiring/sweeper.js';
import { buildWorkerDeps } from '../../../functions/wiring/worker-context.js';
import { createProductSchema, seedDemoData } from '../../../local/demo-data.js';
import { startSqsEventSource } from '../../../local/event-source.js';
import { RecordingEventPublisher } from '../../support/notification-fakes.js';
import { serviceSql, testS3, testSql } from '../../support/services.js';
import { WORKER_TIMEOUT_MS } from '../../support/sqs-invocations.js';
import { createQueueWithDlq, type QueuePair, queueDepth } from '../../support/sqs-queues.js';
import { RecordingMetrics } from '../../support/worker-fakes.js';

const MAX_RECEIVE_COUNT = 3;
const EMAIL = 'requester@example.com';

// The sweep acts on every stale job of its database, so this file has a database of its own:
// jobs other test files leave behind are neither swept here nor swept away from them.
const dbName = `sweeper_it_${process.pid}`;
let adminSql: Sql;
let sql: Sql;
let workerSql: Sql;
let sweeperSql: Sql;
let sqs: SQSClient;
let queue: QueuePair;
let outbox: string;
let queueCounter = 0;
const sends: EmailMessage[] = [];
const events = new RecordingEventPublisher();
let deps: ProcessExportJobDeps;
let sweeperDeps: ProcessExportJobDeps;

beforeAll(async () => {
  adminSql = testSql({ max: 1 });
  await adminSql.unsafe(`CREATE DATABASE ${dbName}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${dbName}`;
  sql = postgres(url.toString(), { max: 4, onnotice: () => {} });
  await createProductSchema(sql);
  await seedDemoData(sql, { users: 20 });
  // After the product tables, so the migration run grants the service roles their columns.
  await migrate(sql);
  // The worker and the sweeper log in as in AWS, each with its own least-privilege role.
  workerSql = serviceSql('worker', { database: dbName });
  sweeperSql = serviceSql('sweeper', { database: dbName, max: 2 });

  sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
  outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'sweeper-outbox-'));
  const outboxMailer = new OutboxMailer({ dir: outbox, from: 'Data Export <exports@example.com>' });
  // Counts sends: the outbox drops a second send of a message id, which would hide a duplicate.
  const mailer: Mailer = {
    send: async (message) => {
      sends.push(message);
      await outboxMailer.send(message);
    },
  };
  const depsAs = (jobsSql: Sql, exportSql: Sql) =>
    buildWorkerDeps({
      jobsSql,
      exportSql,
      s3: testS3(),
      defaultBucket: inject('bucket'),
      mailer,
      events,
      metrics: new RecordingMetrics(),
      linkSecret: 'integration-link-secret-0123456789abcdef',
      publicApiUrl: 'http://localhost:3000',
      settings: { leaseSeconds: 30, linkTtlSeconds: 3600, heartbeatMs: 100 },
    });
  deps = depsAs(workerSql, workerSql);
  sweeperDeps = depsAs(sweeperSql, sweeperSql);
}, 120_000);

afterEach(async () => {
  await sql`DELETE FROM export_jobs`;
  sends.length = 0;
  events.published.length = 0;
});

afterAll(async () => {
  await Promise.all([sql?.end(), workerSql?.end(), sweeperSql?.end()]);
  await adminSql.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await adminSql.end();
  await fs.rm(outbox, { recursive: true, force: true });
});

/** A fresh queue pair and the sweeper that sends to it (grace 300 s, maxAttempts 3). */
async function setUp(): Promise<{ sweep: Sweeper; queue: QueuePair }> {
  queue = await createQueueWithDlq(sqs, `sweeper-it-${process.pid}-${++queueCounter}`, {
    maxReceiveCount: MAX_RECEIVE_COUNT,
  });
  const sweep = createSweeper(
    { deps: sweeperDeps, maxReceiveCount: MAX_RECEIVE_COUNT },
    new SqsExportQueue({ client: sqs, queueUrl: queue.queueUrl }),
    { graceSeconds: 300, redeliveryDelaySeconds: 0 },
  );
  return { sweep, queue };
}

/** A bulk CSV export of `courses`, with its timestamps and lease set by SQL relative to now(). */
async function insertJob(fields: {
  status: 'queued' | 'processing';
  ageSeconds: number;
  attempts?: number;
  /** Seconds since the lease ran out (negative: still running). */
  leaseExpiredSecondsAgo?: number;
}): Promise<string> {
  const leaseAgo = fields.leaseExpiredSecondsAgo ?? null;
  const [row] = await sql<{ id: string }[]>`
    INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email, status,
                             attempts, lease_owner, lease_until, started_at, created_at, updated_at)
    VALUES ('bulk', ${sql.json(bulkSpec({ tables: ['courses'] }) as never)}, '["courses"]', 'csv', 'none', 'sweeper-it', ${EMAIL}, ${fields.status},
            ${fields.attempts ?? 0},
            ${fields.status === 'processing' ? 'worker-gone' : null},
            CASE WHEN ${leaseAgo}::int IS NULL THEN NULL ELSE now() - ${leaseAgo}::int * interval '1 second' END,
            CASE WHEN ${fields.status} = 'processing' THEN now() - ${fields.ageSeconds}::int * interval '1 second' END,
            now() - ${fields.ageSeconds}::int * interval '1 second',
            now() - ${fields.ageSeconds}::int * interval '1 second')
    RETURNING id`;
  return row!.id;
}

async function jobRow(id: string): Promise<ExportJob> {
  const [row] = await sql<ExportJobRow[]>`SELECT * FROM export_jobs WHERE id = ${id}`;
  return toExportJob(row!);
}

async function auditActions(id: string): Promise<string[]> {
  const rows = await sql<{ action: string }[]>`
    SELECT action FROM export_audit_log WHERE job_id = ${id} ORDER BY id`;
  return rows.map((r) => r.action);
}

/** Runs the worker behind the queue, through the local SQS event source, until `jobId` is completed. */
async function workUntilCompleted(jobId: string): Promise<void> {
  const source = startSqsEventSource({
    sqs,
    queueUrl: queue.queueUrl,
    queueArn: queue.queueArn,
    handlers: [createExportWorkerHandler(() => ({ deps, maxReceiveCount: MAX_RECEIVE_COUNT }))],
    functionName: 'export-worker',
    // The worker's real timeout: it refuses to start an export it has too little time left for.
    timeoutMs: WORKER_TIMEOUT_MS,
    waitTimeSeconds: 1,
    logError: () => {},
  });
  try {
    await expect
      .poll(async () => (await jobRow(jobId)).status, { timeout: 30_000, interval: 100 })
      .toBe('completed');
  } finally {
    await source.stop();
  }
}

describe('sweeping stale jobs on Postgres and SQS', () => {
  it('sends the email and the event of a job whose worker was killed between completion and notification, once', async () => {
    const { sweep } = await setUp();
    const id = await insertJob({
      status: 'processing',
      ageSeconds: 30,
      attempts: 1,
      leaseExpiredSecondsAgo: -60,
    });
    const result = {
      objectKey: `exports/${id}/1/courses.csv`,
      fileName: 'courses.csv',
      contentType: 'text/csv',
      bytes: 10,
      sha256: 'cd'.repeat(32),
      rows: 2,
      tables: [{ name: 'courses', rows: 2 }],
      exportedAt: new Date().toISOString(),
    };
    // The worker wins its conditional completion, then dies before it notifies anyone.
    const won = await new PostgresJobLeases(workerSql).complete(id, 'worker-gone', result, {
      rowsExported: 2,
      bytesWritten: 10,
      tablesDone: 1,
      tablesTotal: 1,
      percent: 100,
    });

    const early = await sweep();
    const later = new Date(Date.now() + 120_000);
    const first = await sweep({ now: later });
    const second = await sweep({ now: new Date(later.getTime() + 600_000) });

    expect(won).toBe(true);
    expect([early.renotified, first.renotified, second.renotified]).toEqual([0, 1, 0]);
    expect(sends.map((m) => m.messageId)).toEqual([`${id}:completed`]);
    expect(events.published.map((e) => [e.detailType, e.detail.eventId, e.detail.rows])).toEqual([
      ['Export Completed', `evt_${id}_completed`, 2],
    ]);
    const [row] = await sql<{ email_sent_at: Date | null; event_sent_at: Date | null }[]>`
      SELECT email_sent_at, event_sent_at FROM export_jobs WHERE id = ${id}`;
    expect(row?.email_sent_at).toBeInstanceOf(Date);
    expect(row?.event_sent_at).toBeInstanceOf(Date);
  });

  it('re-enqueues a queued job whose message was lost, which the worker then completes, and leaves a fresh one alone', async () => {
    const { sweep } = await setUp();
    const stale = await insertJob({ status: 'queued', ageSeconds: 600 });
    const fresh = await insertJob({ status: 'queued', ageSeconds: 10 });
    const freshBefore = await jobRow(fresh);

    const result = await sweep();
    const depth = await queueDepth(sqs, queue.queueUrl);
    const again = await sweep();
    await workUntilCompleted(stale);

    expect(result).toEqual({ requeued: 1, failed: 0, renotified: 0 });
    expect(depth).toBe(1);
    expect(again).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    const completed = await jobRow(stale);
    expect(completed.status).toBe('completed');
    expect(completed.result?.tables).toEqual([{ name: 'courses', rows: expect.any(Number) }]);
    expect(sends.map((m) => m.messageId)).toEqual([`${stale}:completed`]);
    const untouched = await jobRow(fresh);
    expect(untouched.status).toBe('queued');
    expect(untouched.updatedAt).toEqual(freshBefore.updatedAt);
  });

  it('fails an abandoned job past maxAttempts once, with one audit row and one email', async () => {
    const { sweep } = await setUp();
    const abandoned = await insertJob({
      status: 'processing',
      ageSeconds: 1200,
      attempts: MAX_RECEIVE_COUNT,
      leaseExpiredSecondsAgo: 600,
    });
    const running = await insertJob({
      status: 'processing',
      ageSeconds: 1200,
      attempts: MAX_RECEIVE_COUNT,
      leaseExpiredSecondsAgo: -60,
    });

    const first = await sweep();
    const second = await sweep();

    expect(first).toEqual({ requeued: 0, failed: 1, renotified: 0 });
    expect(second).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    expect(await queueDepth(sqs, queue.queueUrl)).toBe(0);
    const failed = await jobRow(abandoned);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'abandoned', retryable: false });
    expect(failed.leaseUntil).toBeNull();
    expect(failed.completedAt).not.toBeNull();
    expect(await auditActions(abandoned)).toEqual(['failed']);
    expect(sends.map((m) => m.messageId)).toEqual([`${abandoned}:failed`]);
    expect(sends[0]?.to).toBe(EMAIL);
    expect((await fs.readdir(outbox)).filter((f) => f.startsWith(abandoned))).toEqual([
      outboxFileName(`${abandoned}:failed`),
    ]);
    // A lease that is still running is never the sweep's business, whatever its attempts.
    expect((await jobRow(running)).status).toBe('processing');
    expect(await auditActions(running)).toEqual([]);
  });

  it('re-enqueues an abandoned job under maxAttempts, and the worker takes the expired lease over and completes it', async () => {
    const { sweep } = await setUp();
    const job = await insertJob({
      status: 'processing',
      ageSeconds: 1200,
      attempts: 1,
      leaseExpiredSecondsAgo: 600,
    });

    const result = await sweep();
    const again = await sweep();
    await workUntilCompleted(job);

    expect(result).toEqual({ requeued: 1, failed: 0, renotified: 0 });
    expect(again).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    const completed = await jobRow(job);
    expect(completed.status).toBe('completed');
    expect(completed.attempts).toBe(2);
    expect(await auditActions(job)).toEqual(['started', 'completed']);
    expect(sends.map((m) => m.messageId)).toEqual([`${job}:completed`]);
  });

  it('skips a job a worker is claiming at that moment, and never fails it once the worker holds it', async () => {
    const { sweep } = await setUp();
    const job = await insertJob({
      status: 'processing',
      ageSeconds: 1200,
      attempts: MAX_RECEIVE_COUNT,
      leaseExpiredSecondsAgo: 600,
    });
    const leases = new PostgresJobLeases(sql);
    const criteria = {
      expiredBefore: new Date(Date.now() - 300_000),
      maxAttempts: MAX_RECEIVE_COUNT,
      limit: 10,
    };

    // A worker's claim holds the row lock while the sweep runs, then takes the expired lease over.
    const during = await sql.begin(async (tx) => {
      await tx`SELECT id FROM export_jobs WHERE id = ${job} FOR UPDATE`;
      const swept = await leases.failAbandoned(criteria, ABANDONED_ERROR);
      await tx`
        UPDATE export_jobs
        SET lease_owner = 'worker-new', lease_until = now() + interval '60 seconds',
            attempts = attempts + 1, updated_at = now()
        WHERE id = ${job}`;
      return swept;
    });
    const after = await sweep();

    expect(during).toEqual([]);
    expect(after).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    const row = await jobRow(job);
    expect(row.status).toBe('processing');
    expect(row.error).toBeNull();
    expect(sends).toEqual([]);
  });

  it('leaves a job whose lease expired less than the grace period ago to the queue', async () => {
    const { sweep } = await setUp();
    const job = await insertJob({
      status: 'processing',
      ageSeconds: 400,
      attempts: MAX_RECEIVE_COUNT,
      leaseExpiredSecondsAgo: 60,
    });

    const result = await sweep();

    expect(result).toEqual({ requeued: 0, failed: 0, renotified: 0 });
    expect((await jobRow(job)).status).toBe('processing');
  });
});
