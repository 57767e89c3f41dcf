import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline, type Readable, Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { bulkSpec } from '../../support/job-specs.js';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
});

import { applyServiceRoles } from '../../../db/service-roles.js';
import { OutboxMailer, outboxFileName } from '../../../functions/adapters/mail/outbox-mailer.js';
import { type ExportJobRow, toExportJob } from '../../../functions/adapters/postgres/job-rows.js';
import { createS3Client } from '../../../functions/adapters/s3/client.js';
import { S3ObjectStore } from '../../../functions/adapters/s3/s3-object-store.js';
import { createSqsClient } from '../../../functions/adapters/sqs/client.js';
import { SqsExportQueue } from '../../../functions/adapters/sqs/sqs-export-queue.js';
import { CATALOGUE } from '../../../functions/domain/catalogue/catalogue.js';
import type { ExportFormat } from '../../../functions/domain/engine/export-format.js';
import type { ExportDatabase, ObjectStore } from '../../../functions/domain/engine/ports.js';
import { DependencyError } from '../../../functions/domain/errors.js';
import type { ExportJob, JobProgress } from '../../../functions/domain/jobs/export-job.js';
import { requestScheduledRun } from '../../../functions/domain/schedules/schedule-runs.js';
import type { ProcessExportJobDeps } from '../../../functions/domain/worker/worker-deps.js';
import { createExportWorkerHandler } from '../../../functions/handlers/export-worker.js';
import { buildWorkerDeps } from '../../../functions/wiring/worker-context.js';
import { createProductSchema, seedDemoData } from '../../../local/demo-data.js';
import { freePort } from '../../../local/embedded-postgres.js';
import { type SqsHandler, startSqsEventSource } from '../../../local/event-source.js';
import { RecordingEventPublisher } from '../../support/notification-fakes.js';
import { readParquet } from '../../support/parquet.js';
import {
  etagOf,
  keysUnder,
  objectExists,
  readObject,
  serviceSql,
  testS3,
  testSql,
} from '../../support/services.js';
import {
  receivedMessage,
  sqsEventOf,
  WORKER_TIMEOUT_MS,
  workerContext,
} from '../../support/sqs-invocations.js';
import { createQueueWithDlq, type QueuePair, queueDepth } from '../../support/sqs-queues.js';
import { RecordingMetrics } from '../../support/worker-fakes.js';

/** requested_by of every job this file creates, so they can be told apart and removed. */
const REQUESTER = `worker-it-${process.pid}`;
const EMAIL = 'requester@example.com';
const LINK_SECRET = 'integration-link-secret-0123456789abcdef';
/** Users in the separate, larger product database (activity_logs gets 4 × as many rows). */
const BIG_USERS = 25_000;

const bucket = inject('bucket');
const s3 = testS3();
let sqs: SQSClient;
/** The database owner: fixtures and oracles. */
let jobsSql: Sql;
/** The worker's own least-privilege login, as in AWS: job state and exports. */
let workerSql: Sql;
let exportSql: Sql;
let bigSql: Sql;
let bigWorkerSql: Sql;
let bigDbName: string;
let bigUrl: string;
let outbox: string;
let queueCounter = 0;

beforeAll(async () => {
  jobsSql = testSql({ max: 8 });
  workerSql = serviceSql('worker', { max: 8 });
  exportSql = serviceSql('worker', { max: 10 });
  sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
  outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'worker-outbox-'));
  // A larger product database on the same server, so exports span several multipart parts and
  // take long enough to cancel and to watch their progress.
  bigDbName = `worker_it_big_${process.pid}`;
  await jobsSql.unsafe(`CREATE DATABASE ${bigDbName}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${bigDbName}`;
  bigUrl = url.toString();
  bigSql = postgres(bigUrl, { max: 6, onnotice: () => {} });
  await createProductSchema(bigSql);
  await seedDemoData(bigSql, { users: BIG_USERS });
  await applyServiceRoles(bigSql);
  bigWorkerSql = serviceSql('worker', { database: bigDbName, max: 6 });
}, 120_000);

afterAll(async () => {
  await jobsSql`DELETE FROM export_jobs WHERE requested_by = ${REQUESTER} OR (kind = 'scheduled' AND options->>'test' = ${REQUESTER})`;
  await Promise.all([bigSql?.end(), bigWorkerSql?.end()]);
  await jobsSql.unsafe(`DROP DATABASE IF EXISTS ${bigDbName} WITH (FORCE)`);
  await Promise.all([jobsSql.end(), workerSql.end(), exportSql.end()]);
  await fs.rm(outbox, { recursive: true, force: true });
});

function workerDeps(overrides: Partial<ProcessExportJobDeps> & { sql?: Sql } = {}): ProcessExportJobDeps {
  const { sql, ...rest } = overrides;
  return {
    ...buildWorkerDeps({
      jobsSql: workerSql,
      exportSql: sql ?? exportSql,
      s3,
      defaultBucket: bucket,
      mailer: new OutboxMailer({ dir: outbox, from: 'Data Export <exports@example.com>' }),
      events: new RecordingEventPublisher(),
      metrics: new RecordingMetrics(),
      linkSecret: LINK_SECRET,
      publicApiUrl: 'http://localhost:3000',
      settings: { leaseSeconds: 30, linkTtlSeconds: 3600, heartbeatMs: 100 },
    }),
    ...rest,
  };
}

function handlerFor(deps: ProcessExportJobDeps, maxReceiveCount = 3) {
  return createExportWorkerHandler(() => ({ deps, maxReceiveCount }));
}

async function insertJob(fields: { tables: string[]; format: ExportFormat }) {
  const [row] = await jobsSql<{ id: string }[]>`
    INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email)
    VALUES ('bulk', ${jobsSql.json(bulkSpec({ tables: fields.tables, format: fields.format }) as never)},
            ${jobsSql.json(fields.tables)}, ${fields.format}, 'none', ${REQUESTER}, ${EMAIL})
    RETURNING id`;
  return row!.id;
}

async function jobRow(id: string): Promise<ExportJob> {
  const [row] = await jobsSql<ExportJobRow[]>`SELECT * FROM export_jobs WHERE id = ${id}`;
  return toExportJob(row!);
}

async function auditActions(id: string): Promise<string[]> {
  const rows = await jobsSql<
    { action: string }[]
  >`SELECT action FROM export_audit_log WHERE job_id = ${id} ORDER BY id`;
  return rows.map((r) => r.action);
}

async function emailsFor(id: string): Promise<string[]> {
  return (await fs.readdir(outbox)).filter((name) => name.startsWith(id)).sort();
}

/** `psql \copy (…) TO STDOUT WITH CSV HEADER` of a whole catalogue table: the oracle for CSV objects. */
function csvOracle(databaseUrl: string, table: string): Buffer {
  const columns = CATALOGUE[table]!.columns.map((c) => `"${c.name}"`).join(', ');
  return execFileSync(
    'psql',
    [
      databaseUrl,
      '-X',
      '-q',
      '-c',
      `\\copy (SELECT ${columns} FROM "${table}" ORDER BY "id") TO STDOUT WITH CSV HEADER`,
    ],
    { env: { ...process.env, PGTZ: 'UTC', PGDATESTYLE: 'ISO, MDY' }, maxBuffer: 256 * 1024 * 1024 },
  );
}

/** Counts completed uploads per key: a second one would be a second object version. */
function countingUploads(deps: ProcessExportJobDeps) {
  const uploads = new Map<string, number>();
  const storeFor = (name: string): ObjectStore => {
    const store = deps.storeFor(name);
    return {
      upload: async (request) => {
        const stored = await store.upload(request);
        uploads.set(request.key, (uploads.get(request.key) ?? 0) + 1);
        return stored;
      },
      presignDownload: (key, options) => store.presignDownload(key, options),
      head: (key) => store.head(key),
      delete: (key) => store.delete(key),
    };
  };
  return { deps: { ...deps, storeFor }, uploads };
}

/** Wraps each COPY stream of `database` in `stage()` (a pass-through Transform that may delay or fail). */
function withCopyStage(database: ExportDatabase, stage: () => Transform): ExportDatabase {
  return {
    withSnapshot: (work) =>
      database.withSnapshot((snapshot) =>
        work({
          startedAt: snapshot.startedAt,
          count: (source) => snapshot.count(source),
          estimate: (source) => snapshot.estimate(source),
          keyStats: (table, key) => snapshot.keyStats(table, key),
          keyAt: (...args) => snapshot.keyAt(...args),
          copyOut: async (statement, params) => {
            const rows = await snapshot.copyOut(statement, params);
            return pipeline(rows, stage(), () => {}) as unknown as Readable;
          },
        }),
      ),
  };
}

/** Rewrites the parameters bound for each source, as a job accepted under older rules would carry them. */
function withBoundParams(
  database: ExportDatabase,
  rewrite: (params: Readonly<Record<string, string>>) => Record<string, string>,
): ExportDatabase {
  return {
    withSnapshot: (work) =>
      database.withSnapshot((snapshot) =>
        work({
          startedAt: snapshot.startedAt,
          count: (source) => snapshot.count({ ...source, params: rewrite(source.params) }),
          estimate: (source) => snapshot.estimate({ ...source, params: rewrite(source.params) }),
          keyStats: (table, key) => snapshot.keyStats(table, key),
          keyAt: (...args) => snapshot.keyAt(...args),
          copyOut: (statement, params) => snapshot.copyOut(statement, rewrite(params)),
        }),
      ),
  };
}

/** Passes rows through, pausing `delayMs` after every `everyRows` rows: a slow but steady export. */
function throttle(everyRows: number, delayMs: number): Transform {
  let rows = 0;
  return new Transform({
    async transform(chunk: Buffer, _encoding, callback) {
      const before = Math.floor(rows / everyRows);
      for (const byte of chunk) if (byte === 10) rows++;
      if (Math.floor(rows / everyRows) > before) await sleep(delayMs);
      callback(null, chunk);
    },
  });
}

function uniqueQueueName(label: string): string {
  return `worker-it-${process.pid}-${label}-${++queueCounter}`;
}

/**
 * The worker Lambda behind `queue` as `npm start` runs it: the local SQS event source, one poller
 * per handler (concurrent execution environments), failures left to the queue's visibility timeout
 * and redrive policy.
 */
function startWorkers(queue: QueuePair, handlers: readonly SqsHandler[], batchSize = 1) {
  return startSqsEventSource({
    sqs,
    queueUrl: queue.queueUrl,
    queueArn: queue.queueArn,
    handlers,
    functionName: 'export-worker',
    // The worker's real timeout: it refuses to start an export it has too little time left for.
    timeoutMs: WORKER_TIMEOUT_MS,
    batchSize,
    waitTimeSeconds: 1,
    logError: () => {},
  });
}

describe('export worker on Postgres, S3 and SQS', () => {
  it('handles the same message delivered twice, also concurrently, with one object, one email and one completion', async () => {
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv' });
    const { deps, uploads } = countingUploads(workerDeps());
    const handler = handlerFor(deps);
    const messageId = `dup-${id}`;

    const concurrent = await Promise.all(
      [1, 1, 1].map(() =>
        handler(sqsEventOf(receivedMessage({ jobId: id }, { messageId })), workerContext()),
      ),
    );
    const redelivered = await handler(
      sqsEventOf(receivedMessage({ jobId: id }, { messageId, receiveCount: 2 })),
      workerContext(),
    );

    for (const response of [...concurrent, redelivered]) expect(response.batchItemFailures).toEqual([]);
    const job = await jobRow(id);
    expect(job).toMatchObject({ status: 'completed', attempts: 1 });
    const key = `exports/${id}/1/activity_logs.csv`;
    expect(job.result).toMatchObject({ objectKey: key, bucket, etag: await etagOf(s3, key) });
    expect([...uploads.entries()]).toEqual([[key, 1]]);
    expect(await keysUnder(s3, `exports/${id}/`)).toEqual([key]);
    expect((await readObject(s3, key)).equals(csvOracle(inject('databaseUrl'), 'activity_logs'))).toBe(true);
    expect(await emailsFor(id)).toEqual([outboxFileName(`${id}:completed`)]);
    expect((await auditActions(id)).filter((a) => a === 'completed')).toHaveLength(1);
  });

  it('completes a bulk Parquet job as one .parquet object over several multipart parts, every row read back', async () => {
    const id = await insertJob({ tables: ['transactions'], format: 'parquet' });
    const handler = handlerFor(workerDeps({ sql: bigWorkerSql }));

    const response = await handler(sqsEventOf(receivedMessage({ jobId: id })), workerContext());

    expect(response.batchItemFailures).toEqual([]);
    const job = await jobRow(id);
    const key = `exports/${id}/1/transactions.parquet`;
    expect(job).toMatchObject({
      status: 'completed',
      result: { objectKey: key, contentType: 'application/vnd.apache.parquet' },
    });
    const file = await readObject(s3, key);
    expect(file.length).toBeGreaterThan(5 * 1024 * 1024);
    const read = await readParquet(file);
    const [expected] = await bigSql<{ count: string; sum: string; last: string }[]>`
      SELECT count(*)::text AS count, sum(amount)::text AS sum,
             (extract(epoch FROM max(created_at)) * 1000000)::bigint::text AS last
      FROM transactions`;
    expect(String(read.rows.length)).toBe(expected!.count);
    expect(job.result?.rows).toBe(read.rows.length);
    const cents = read.rows.reduce(
      (total, row) => total + BigInt((row.amount as string).replace('.', '')),
      0n,
    );
    expect(`${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`).toBe(expected!.sum);
    expect(read.rows.map((row) => BigInt(row.created_at as string)).reduce((a, b) => (a > b ? a : b))).toBe(
      BigInt(expected!.last),
    );
    expect(read.rowGroups.length).toBeGreaterThan(1);
    expect(await emailsFor(id)).toEqual([outboxFileName(`${id}:completed`)]);
  });

  it('completes a job on redelivery after a crash mid-stream, and never shows a partial object', async () => {
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv' });
    const key = `exports/${id}/1/activity_logs.csv`;
    // Its own S3 client, counting multipart parts, to prove the crash came after parts were stored.
    const crashS3 = createS3Client({ endpoint: inject('awsEndpoint') });
    let partsUploaded = 0;
    crashS3.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName === 'UploadPartCommand') partsUploaded++;
        return result;
      },
      { step: 'initialize' },
    );
    const base = workerDeps({ sql: bigWorkerSql });
    let crashed = false;
    let visibleAtCrash: boolean | undefined;
    let partsAtCrash = 0;
    const crashAfterRows = 70_000;
    const crashing = withCopyStage(base.database, () => {
      let rows = 0;
      return new Transform({
        async transform(chunk: Buffer, _encoding, callback) {
          for (const byte of chunk) if (byte === 10) rows++;
          if (!crashed && rows >= crashAfterRows) {
            crashed = true;
            await expect.poll(() => partsUploaded, { timeout: 10_000 }).toBeGreaterThan(0);
            partsAtCrash = partsUploaded;
            visibleAtCrash = await objectExists(s3, key);
            // What the Postgres adapter raises when the connection drops mid-COPY.
            callback(new DependencyError(`database connection lost after ${rows} rows (injected)`));
            return;
          }
          callback(null, chunk);
        },
      });
    });
    const storeFor = (name: string) => new S3ObjectStore({ client: crashS3, bucket: name });
    const handler = handlerFor({ ...base, database: crashing, storeFor });

    const first = await handler(
      sqsEventOf(receivedMessage({ jobId: id }, { messageId: `crash-${id}` })),
      workerContext(),
    );

    expect(first.batchItemFailures).toHaveLength(1);
    expect(crashed).toBe(true);
    expect(partsAtCrash).toBeGreaterThan(0);
    expect(visibleAtCrash).toBe(false);
    expect(await objectExists(s3, key)).toBe(false);
    expect(await jobRow(id)).toMatchObject({ status: 'queued', attempts: 1 });
    expect(await emailsFor(id)).toEqual([]);

    const second = await handler(
      sqsEventOf(receivedMessage({ jobId: id }, { messageId: `crash-${id}`, receiveCount: 2 })),
      workerContext(),
    );

    expect(second.batchItemFailures).toEqual([]);
    expect(await jobRow(id)).toMatchObject({ status: 'completed', attempts: 2 });
    const secondKey = `exports/${id}/2/activity_logs.csv`;
    expect(await keysUnder(s3, `exports/${id}/`)).toEqual([secondKey]);
    const body = await readObject(s3, secondKey);
    expect(body.length).toBeGreaterThan(8 * 1024 * 1024);
    expect(body.equals(csvOracle(bigUrl, 'activity_logs'))).toBe(true);
    expect(await emailsFor(id)).toEqual([outboxFileName(`${id}:completed`)]);
  });

  it('takes over the job of a worker that died holding the lease once the lease has expired', async () => {
    const id = await insertJob({ tables: ['courses'], format: 'json' });
    await jobsSql`UPDATE export_jobs SET status = 'processing', attempts = 1, lease_owner = 'dead-worker',
                  lease_until = now() + interval '1 hour' WHERE id = ${id}`;
    const handler = handlerFor(workerDeps());

    const whileLeased = await handler(
      sqsEventOf(receivedMessage({ jobId: id }, { receiveCount: 2 })),
      workerContext(),
    );
    expect(whileLeased.batchItemFailures).toEqual([]);
    expect(await jobRow(id)).toMatchObject({ status: 'processing', attempts: 1 });

    await jobsSql`UPDATE export_jobs SET lease_until = now() - interval '1 second' WHERE id = ${id}`;
    const afterExpiry = await handler(
      sqsEventOf(receivedMessage({ jobId: id }, { receiveCount: 3 })),
      workerContext(),
    );

    expect(afterExpiry.batchItemFailures).toEqual([]);
    expect(await jobRow(id)).toMatchObject({ status: 'completed', attempts: 2 });
    expect(await keysUnder(s3, `exports/${id}/`)).toEqual([`exports/${id}/2/courses.json`]);
  });

  it('retries while S3 fails on every call, then marks the job failed, emails once and leaves the message in the DLQ', async () => {
    const id = await insertJob({ tables: ['courses'], format: 'csv' });
    const closedPort = await freePort();
    const deadS3 = new S3Client({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${closedPort}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    const metrics = new RecordingMetrics();
    const deps = workerDeps({
      metrics,
      storeFor: (name) => new S3ObjectStore({ client: deadS3, bucket: name }),
    });
    // A short visibility timeout: each failed receive comes back a second later, as SQS redelivers it.
    const queue = await createQueueWithDlq(sqs, uniqueQueueName('s3-down'), {
      maxReceiveCount: 3,
      visibilityTimeoutSeconds: 1,
    });
    await new SqsExportQueue({ client: sqs, queueUrl: queue.queueUrl }).enqueue({ jobId: id });

    const source = startWorkers(queue, [handlerFor(deps, 3)]);
    try {
      await expect.poll(() => queueDepth(sqs, queue.dlqUrl), { timeout: 30_000, interval: 200 }).toBe(1);
    } finally {
      await source.stop();
    }

    const job = await jobRow(id);
    expect(job).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: { code: 'dependency_unavailable', retryable: true },
    });
    expect(await queueDepth(sqs, queue.queueUrl)).toBe(0);
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.dlqUrl, WaitTimeSeconds: 1 }),
    );
    expect(Messages.map((m) => JSON.parse(m.Body!))).toEqual([{ jobId: id }]);
    expect(await emailsFor(id)).toEqual([outboxFileName(`${id}:failed`)]);
    expect(await auditActions(id)).toEqual(['started', 'started', 'started', 'failed']);
    expect(metrics.failed).toEqual([{ kind: 'bulk', format: 'csv' }]);
    expect(await keysUnder(s3, `exports/${id}/`)).toEqual([]);
  });

  it('fails a job at once, with its typed reason and one email, when Postgres refuses its parameters', async () => {
    const id = await insertJob({ tables: ['transactions'], format: 'csv' });
    await jobsSql`UPDATE export_jobs
                  SET spec = jsonb_set(spec, '{filters}', ${jobsSql.json({ transactions: { dateFrom: '2024-01-01' } })})
                  WHERE id = ${id}`;
    const base = workerDeps();
    // A date Postgres cannot hold reaches it as a bound parameter: a data exception (SQLSTATE 22008).
    const database = withBoundParams(base.database, (params) =>
      Object.fromEntries(
        Object.entries(params).map(([name, value]) => [name, name.endsWith('_from') ? '0000-01-01' : value]),
      ),
    );

    const response = await handlerFor({ ...base, database }, 5)(
      sqsEventOf(receivedMessage({ jobId: id }, { receiveCount: 1 })),
      workerContext(),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(await jobRow(id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'invalid_parameters', retryable: false },
    });
    expect(await emailsFor(id)).toEqual([outboxFileName(`${id}:failed`)]);
    expect(await auditActions(id)).toEqual(['started', 'failed']);
  });

  it('stops a job cancelled mid-stream within seconds: cancelled, no object, no completion email', async () => {
    const id = await insertJob({ tables: ['activity_logs'], format: 'ndjson' });
    const base = workerDeps({ sql: bigWorkerSql });
    const handler = handlerFor({
      ...base,
      database: withCopyStage(base.database, () => throttle(2_000, 100)),
    });

    const running = handler(sqsEventOf(receivedMessage({ jobId: id })), workerContext());
    await expect
      .poll(async () => ((await jobRow(id)).progress as JobProgress).rowsExported ?? 0, {
        timeout: 10_000,
        interval: 50,
      })
      .toBeGreaterThan(0);
    const cancelledAt = Date.now();
    await jobsSql`UPDATE export_jobs SET cancel_requested = true WHERE id = ${id}`;
    const response = await running;
    const stoppedAfterMs = Date.now() - cancelledAt;

    expect(response.batchItemFailures).toEqual([]);
    expect(stoppedAfterMs).toBeLessThan(5_000);
    const job = await jobRow(id);
    expect(job.status).toBe('cancelled');
    expect(job.result).toBeNull();
    expect(await keysUnder(s3, `exports/${id}/`)).toEqual([]);
    expect(await emailsFor(id)).toEqual([]);
    expect(await auditActions(id)).toEqual(['started', 'cancelled']);
  });

  it('writes progress that only moves forward and ends at 100 % with every row', async () => {
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv' });
    const base = workerDeps({ sql: bigWorkerSql });
    const handler = handlerFor({
      ...base,
      database: withCopyStage(base.database, () => throttle(10_000, 120)),
    });
    const seen: JobProgress[] = [];
    let done = false;
    const watcher = (async () => {
      while (!done) {
        const job = await jobRow(id);
        if ('percent' in job.progress) seen.push(job.progress as JobProgress);
        if (job.status !== 'queued' && job.status !== 'processing') return;
        await sleep(30);
      }
    })();

    const response = await handler(sqsEventOf(receivedMessage({ jobId: id })), workerContext());
    done = true;
    await watcher;

    expect(response.batchItemFailures).toEqual([]);
    const final = (await jobRow(id)).progress as JobProgress;
    seen.push(final);
    const [row] = await bigSql<{ count: string }[]>`SELECT count(*) FROM activity_logs`;
    const count = Number(row!.count);
    expect(final).toMatchObject({
      percent: 100,
      rowsExported: count,
      rowsTotal: count,
      tablesDone: 1,
      tablesTotal: 1,
    });
    const intermediate = seen.filter((p) => p.percent < 100);
    expect(new Set(intermediate.map((p) => p.percent)).size).toBeGreaterThanOrEqual(3);
    expect(intermediate.some((p) => typeof p.etaSeconds === 'number')).toBe(true);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.percent).toBeGreaterThanOrEqual(seen[i - 1]!.percent);
      expect(seen[i]!.rowsExported).toBeGreaterThanOrEqual(seen[i - 1]!.rowsExported);
      expect(seen[i]!.bytesWritten).toBeGreaterThanOrEqual(seen[i - 1]!.bytesWritten);
    }
  });

  it('drains 100 jobs enqueued at once (plus duplicates) with concurrent invocations, completing each exactly once', async () => {
    const tables = ['courses', 'users', 'enrollments', 'transactions'];
    const formats: ExportFormat[] = ['csv', 'json', 'ndjson', 'xml'];
    const ids = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        insertJob({ tables: [tables[i % 4]!], format: formats[Math.floor(i / 4) % 4]! }),
      ),
    );
    const metrics = new RecordingMetrics();
    const { deps, uploads } = countingUploads(workerDeps({ metrics }));
    const queue = await createQueueWithDlq(sqs, uniqueQueueName('drain'), { maxReceiveCount: 5 });
    const exportQueue = new SqsExportQueue({ client: sqs, queueUrl: queue.queueUrl });
    await Promise.all([...ids, ...ids.slice(0, 10)].map((jobId) => exportQueue.enqueue({ jobId })));

    let invocations = 0;
    const handler = handlerFor(deps, 5);
    const counted: SqsHandler = (event, context) => {
      invocations++;
      return handler(event, context);
    };
    const source = startWorkers(
      queue,
      Array.from({ length: 6 }, () => counted),
      3,
    );
    try {
      await expect
        .poll(
          async () => {
            const [row] = await jobsSql<{ n: number }[]>`
              SELECT count(*)::int AS n FROM export_jobs WHERE id = ANY(${ids}::uuid[]) AND status = 'completed'`;
            return row!.n === ids.length && (await queueDepth(sqs, queue.queueUrl)) === 0;
          },
          { timeout: 55_000, interval: 250 },
        )
        .toBe(true);
    } finally {
      await source.stop();
    }

    expect(invocations).toBeGreaterThan(6);
    const completions = await jobsSql<{ job_id: string; n: number }[]>`
      SELECT job_id, count(*)::int AS n FROM export_audit_log
      WHERE job_id = ANY(${ids}::uuid[]) AND action = 'completed' GROUP BY job_id`;
    expect(completions).toHaveLength(100);
    expect(completions.every((c) => c.n === 1)).toBe(true);
    expect(uploads.size).toBe(100);
    expect([...uploads.values()].every((n) => n === 1)).toBe(true);
    expect(metrics.completed).toHaveLength(100);
    const files = await fs.readdir(outbox);
    expect(ids.every((id) => files.filter((f) => f.startsWith(id)).length === 1)).toBe(true);
    expect(await queueDepth(sqs, queue.dlqUrl)).toBe(0);
    const attempts = await jobsSql<
      { attempts: number }[]
    >`SELECT attempts FROM export_jobs WHERE id = ANY(${ids}::uuid[])`;
    expect(attempts.every((a) => a.attempts === 1)).toBe(true);
  }, 60_000);

  it('runs a scheduled message into the catalogue key once per date, and an admin rerun replaces it in the same job', async () => {
    const day = new Date(Date.UTC(2090, 0, 1) + (process.pid % 3000) * 86_400_000).toISOString().slice(0, 10);
    const message = { schedule: 'daily_transactions', scheduledTime: `${day}T01:00:00Z` };
    const deps = workerDeps();
    const handler = handlerFor(deps);

    await handler(sqsEventOf(receivedMessage(message), receivedMessage(message)), workerContext());
    const jobs = await jobsSql<ExportJobRow[]>`
      SELECT * FROM export_jobs WHERE kind = 'scheduled' AND schedule_name = 'daily_transactions'
      AND scheduled_for = ${`${day}T00:00:00Z`}::timestamptz`;
    expect(jobs).toHaveLength(1);
    const job = toExportJob(jobs[0]!);
    await jobsSql`UPDATE export_jobs SET options = options || ${jobsSql.json({ test: REQUESTER })} WHERE id = ${job.id}`;
    const key = `daily/transactions/daily_transactions_${day}.csv`;
    expect(job).toMatchObject({
      status: 'completed',
      requestedBy: null,
      result: { objectKey: key, bucket },
    });
    expect(await objectExists(s3, key)).toBe(true);
    expect(await emailsFor(job.id)).toEqual([]);

    const rerun = await requestScheduledRun(deps, {
      schedule: 'daily_transactions',
      scheduledFor: new Date(`${day}T12:00:00Z`),
      requestedBy: REQUESTER,
      requesterEmail: EMAIL,
      force: true,
    });
    await handler(sqsEventOf(receivedMessage({ jobId: rerun.id })), workerContext());

    expect(rerun.id).toBe(job.id);
    const after = await jobRow(job.id);
    expect(after).toMatchObject({ status: 'completed', requestedBy: REQUESTER, result: { objectKey: key } });
    expect(after.completedAt!.getTime()).toBeGreaterThan(job.completedAt!.getTime());
    expect(await emailsFor(job.id)).toEqual([outboxFileName(`${job.id}:completed:run-2`)]);
  });
});
