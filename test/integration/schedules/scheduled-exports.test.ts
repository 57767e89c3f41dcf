import { HeadObjectCommand } from '@aws-sdk/client-s3';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
});

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { OutboxMailer } from '../../../functions/adapters/mail/outbox-mailer.js';
import { createExportWorkerHandler } from '../../../functions/handlers/export-worker.js';
import { buildWorkerDeps } from '../../../functions/wiring/worker-context.js';
import { createProductSchema, DEMO_USER_ID, seedDemoData } from '../../../local/demo-data.js';
import { RecordingEventPublisher } from '../../support/notification-fakes.js';
import { readObject, testS3, testSql } from '../../support/services.js';
import { receivedMessage, sqsEventOf, workerContext } from '../../support/sqs-invocations.js';
import { RecordingMetrics } from '../../support/worker-fakes.js';

const bucket = inject('bucket');
const s3 = testS3();
let jobsSql: Sql;
let productSql: Sql;
let dbName: string;
let outbox: string;

// The scheduled queries read a product database of their own, so the rows this file inserts at
// the window edges cannot disturb other files' whole-table comparisons.
beforeAll(async () => {
  jobsSql = testSql({ max: 4 });
  dbName = `sched_it_${process.pid}`;
  await jobsSql.unsafe(`CREATE DATABASE ${dbName}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${dbName}`;
  productSql = postgres(url.toString(), { max: 4, onnotice: () => {} });
  await createProductSchema(productSql);
  await seedDemoData(productSql, { users: 12 });
  outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'sched-outbox-'));
}, 120_000);

afterAll(async () => {
  await jobsSql`DELETE FROM export_jobs WHERE kind = 'scheduled' AND scheduled_for >= '2091-01-01'`;
  await productSql.end();
  await jobsSql.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await jobsSql.end();
  await fs.rm(outbox, { recursive: true, force: true });
});

async function runSchedule(schedule: string, scheduledTime: string) {
  const deps = buildWorkerDeps({
    jobsSql,
    exportSql: productSql,
    s3,
    defaultBucket: bucket,
    mailer: new OutboxMailer({ dir: outbox, from: 'Data Export <exports@example.com>' }),
    events: new RecordingEventPublisher(),
    metrics: new RecordingMetrics(),
    linkSecret: 'scheduled-exports-test-secret-0123456789',
    publicApiUrl: 'http://localhost:3000',
    settings: { leaseSeconds: 30, linkTtlSeconds: 3600 },
  });
  const handler = createExportWorkerHandler(() => ({ deps, maxReceiveCount: 3 }));
  const response = await handler(sqsEventOf(receivedMessage({ schedule, scheduledTime })), workerContext());
  expect(response.batchItemFailures).toEqual([]);
}

describe('scheduled exports', () => {
  it('daily_transactions exports exactly the previous UTC day, edges included, as CSV at its catalogue key', async () => {
    const times = {
      before: '2091-03-14T23:59:59.999999Z',
      first: '2091-03-15T00:00:00.000000Z',
      middle: '2091-03-15T12:34:56.789012Z',
      last: '2091-03-15T23:59:59.999999Z',
      after: '2091-03-16T00:00:00.000000Z',
    };
    const ids: Record<string, string> = {};
    for (const [label, at] of Object.entries(times)) {
      const [row] = await productSql<{ id: string }[]>`
        INSERT INTO transactions (user_id, amount, currency, status, description, created_at)
        VALUES (${DEMO_USER_ID}, 1.00, 'EUR', 'paid', ${label}, ${at}::text::timestamptz) RETURNING id`;
      ids[label] = String(row!.id);
    }

    // The 01:00 run on the 16th exports the 15th.
    await runSchedule('daily_transactions', '2091-03-16T01:00:00Z');

    const key = 'daily/transactions/daily_transactions_2091-03-16.csv';
    const csv = (await readObject(s3, key)).toString('utf8');
    const exported = csv
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.split(',')[0]);
    expect(exported).toEqual([ids.first, ids.middle, ids.last]);
    expect(csv.split('\n')[0]).toBe('id,user_id,amount,currency,status,description,metadata,created_at');
    expect(csv).toContain(',2091-03-15 23:59:59.999999+00\n');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentType).toMatch(/^text\/csv/);
  });

  it('weekly_users exports id, email and created_at of users created in the 7 days before the run, as JSON', async () => {
    const times = {
      before: '2091-04-07T23:59:59.999999Z',
      first: '2091-04-08T00:00:00.000000Z',
      last: '2091-04-14T23:59:59.999999Z',
      runDay: '2091-04-15T00:00:00.000000Z',
    };
    const ids: Record<string, string> = {};
    for (const [label, at] of Object.entries(times)) {
      const id = crypto.randomUUID();
      await productSql`INSERT INTO users (id, email, created_at, updated_at)
                       VALUES (${id}, ${`${label}@example.com`}, ${at}::text::timestamptz, ${at}::text::timestamptz)`;
      ids[label] = id;
    }

    // 2091-04-15 is a Sunday: the 02:00 run covers the 8th to the 14th.
    expect(new Date('2091-04-15T00:00:00Z').getUTCDay()).toBe(0);
    await runSchedule('weekly_users', '2091-04-15T02:00:00Z');

    const key = 'weekly/users/weekly_users_2091-04-15.json';
    const doc = JSON.parse((await readObject(s3, key)).toString('utf8'));
    const rows = Object.values(doc).find(Array.isArray) as {
      id: string;
      email: string;
      created_at: string;
    }[];
    expect(rows.map((r) => r.id).sort()).toEqual([ids.first, ids.last].sort());
    expect(Object.keys(rows[0]!)).toEqual(['id', 'email', 'created_at']);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    expect(head.ContentType).toMatch(/^application\/json/);
  });
});
