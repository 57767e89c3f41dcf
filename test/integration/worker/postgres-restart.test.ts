import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline, type Readable, Transform } from 'node:stream';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
});

import { migrate } from '../../../db/migrate.js';
import { OutboxMailer } from '../../../functions/adapters/mail/outbox-mailer.js';
import { createSqsClient } from '../../../functions/adapters/sqs/client.js';
import { SqsExportQueue } from '../../../functions/adapters/sqs/sqs-export-queue.js';
import { ErrorResponse, JobViewSchema } from '../../../functions/api/api-schemas.js';
import { CATALOGUE } from '../../../functions/domain/catalogue/catalogue.js';
import type { ObjectStore } from '../../../functions/domain/engine/ports.js';
import type { ProcessExportJobDeps } from '../../../functions/domain/worker/worker-deps.js';
import { createExportWorkerHandler } from '../../../functions/handlers/export-worker.js';
import { lambdaSql } from '../../../functions/platform/lambda-sql.js';
import { buildWorkerDeps } from '../../../functions/wiring/worker-context.js';
import { createProductSchema, seedDemoData } from '../../../local/demo-data.js';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '../../../local/embedded-postgres.js';
import { type SqsEventSource, startSqsEventSource } from '../../../local/event-source.js';
import type { Gateway } from '../../../local/gateway.js';
import { bearerToken } from '../../support/api-events.js';
import { startApiGateway, TEST_API_KEY } from '../../support/api-gateway.js';
import { type ApiHarness, startApiHarness } from '../../support/api-harness.js';
import { RecordingEventPublisher } from '../../support/notification-fakes.js';
import { copyToBuffer, readObject, testS3 } from '../../support/services.js';
import { createQueueWithDlq, type QueuePair, queueDepth } from '../../support/sqs-queues.js';
import { RecordingMetrics } from '../../support/worker-fakes.js';

/**
 * A Postgres restart in the middle of an export, against this file's own embedded Postgres (the
 * shared test server keeps running for the other files): the real API handlers behind the local
 * gateway over HTTP, and the real worker handler fed by the local SQS event source, both on
 * postgres.js clients as the Lambdas hold them (`lambdaSql`).
 */

/** Demo users; activity_logs gets four times as many rows, several MB of CSV. */
const USERS = 20_000;
/** The upload is held after this much CSV, so the restart comes while the COPY is still running. */
const GATE_BYTES = 512 * 1024;
/** Longer than the first attempt takes, shorter than the test's patience; the lease is shorter still. */
const VISIBILITY_TIMEOUT_SECONDS = 8;
const LEASE_SECONDS = 2;

const ADMIN = randomUUID();
const bucket = inject('bucket');
const s3 = testS3();

let dataDir: string;
let pg: EmbeddedPostgresServer;
let sqs: SQSClient;
let queue: QueuePair;
let outbox: string;
let api: ApiHarness;
let gateway: Gateway;
let source: SqsEventSource | undefined;
const clients: Sql[] = [];

/** Everything the process would die of: uncaught exceptions and unhandled rejections. */
const fatal: unknown[] = [];
const recordFatal = (error: unknown) => fatal.push(error);

beforeAll(async () => {
  process.on('uncaughtException', recordFatal);
  process.on('unhandledRejection', recordFatal);
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'restart-pg-'));
  await fs.chmod(dataDir, 0o777);
  outbox = path.join(dataDir, 'outbox');
  pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'data') });
  const setup = postgres(pg.url, { max: 1, onnotice: () => {} });
  try {
    await migrate(setup);
    await createProductSchema(setup);
    await seedDemoData(setup, { users: USERS });
  } finally {
    await setup.end();
  }
  sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
  queue = await createQueueWithDlq(sqs, `restart-${process.pid}-${randomUUID().slice(0, 8)}`, {
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
  });
  const apiSql = lambdaSql({ url: pg.url });
  clients.push(apiSql);
  api = await startApiHarness({
    rateLimitMax: 1000,
    database: { url: pg.url, sql: apiSql },
    queue: new SqsExportQueue({ client: sqs, queueUrl: queue.queueUrl }),
  });
  gateway = await startApiGateway(api);
}, 180_000);

afterAll(async () => {
  await source?.stop(5_000);
  await gateway?.close();
  await api?.close();
  await Promise.all(clients.map((sql) => sql.end({ timeout: 2 })));
  await pg?.stop();
  sqs?.destroy();
  process.off('uncaughtException', recordFatal);
  process.off('unhandledRejection', recordFatal);
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

/** Wraps the object stores so that the first upload stops after `bytes` until `open()` is called. */
function gatedUploads(storeFor: (bucket: string) => ObjectStore, bytes: number) {
  let reached!: () => void;
  let open!: () => void;
  const held = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  let armed = true;
  const gated = (name: string): ObjectStore => {
    const store = storeFor(name);
    return {
      upload: (request) => {
        if (!armed) return store.upload(request);
        armed = false;
        let seen = 0;
        const gate = new Transform({
          async transform(chunk: Buffer, _encoding, callback) {
            const before = seen;
            seen += chunk.length;
            if (before < bytes && seen >= bytes) {
              reached();
              await opened;
            }
            callback(null, chunk);
          },
        });
        return store.upload({ ...request, body: pipeline(request.body, gate, () => {}) as Readable });
      },
      presignDownload: (key, options) => store.presignDownload(key, options),
      head: (key) => store.head(key),
      delete: (key) => store.delete(key),
    };
  };
  return { storeFor: gated, held, open };
}

/** The worker Lambda as the local runtime runs it, recording each invocation's response. */
function startWorker(deps: ProcessExportJobDeps) {
  const responses: (SQSBatchResponse | 'threw')[] = [];
  const handler = createExportWorkerHandler(() => ({ deps, maxReceiveCount: 5 }));
  const recorded = async (event: SQSEvent, context: Context) => {
    try {
      const response = await handler(event, context);
      responses.push(response);
      return response;
    } catch (error) {
      responses.push('threw');
      throw error;
    }
  };
  return { recorded, responses };
}

async function call(method: string, route: string, token: string, body?: unknown) {
  const response = await fetch(`${gateway.url}/api/export${route}`, {
    method,
    headers: {
      'x-api-key': TEST_API_KEY,
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as unknown };
}

describe('a Postgres restart in the middle of an export', () => {
  it('keeps the process alive, answers 503 while the database is down and 200 right after, and completes the job exactly once', async () => {
    const jobsSql = lambdaSql({ url: pg.url });
    const exportSql = lambdaSql({ url: pg.url });
    clients.push(jobsSql, exportSql);
    const base = buildWorkerDeps({
      jobsSql,
      exportSql,
      s3,
      defaultBucket: bucket,
      mailer: new OutboxMailer({ dir: outbox, from: 'Data Export <exports@example.com>' }),
      events: new RecordingEventPublisher(),
      metrics: new RecordingMetrics(),
      linkSecret: 'restart-test-link-secret-0123456789abcdef',
      publicApiUrl: 'http://127.0.0.1',
      settings: { leaseSeconds: LEASE_SECONDS, linkTtlSeconds: 3600, heartbeatMs: 200 },
    });
    const gate = gatedUploads(base.storeFor, GATE_BYTES);
    const worker = startWorker({ ...base, storeFor: gate.storeFor });
    source = startSqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      handlers: [worker.recorded],
      functionName: 'export-worker',
      timeoutMs: 120_000,
      waitTimeSeconds: 1,
      logError: () => {},
    });
    const admin = await bearerToken(ADMIN, { admin: true });

    // A bulk export through the API, picked up by the worker and held mid-COPY.
    const accepted = await call('POST', '/bulk', admin, { tables: ['activity_logs'], format: 'csv' });
    expect(accepted.status).toBe(202);
    const { jobId } = accepted.body as { jobId: string };
    await gate.held;
    const observer = postgres(pg.url, { max: 1, onnotice: () => {} });
    const copies =
      await observer`SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'COPY%'`;
    await observer.end();
    expect(copies).toHaveLength(1);

    // The database goes down; the export, its lease release and its rollback all fail.
    await pg.stop();
    gate.open();
    await expect.poll(() => worker.responses.length, { timeout: 30_000, interval: 100 }).toBe(1);
    expect(worker.responses[0]).toMatchObject({
      batchItemFailures: [{ itemIdentifier: expect.any(String) }],
    });

    const whileDown = await Promise.all([
      call('GET', `/jobs/${jobId}`, admin),
      call('GET', '/jobs', admin),
      call('POST', '/bulk', admin, { tables: ['courses'], format: 'json' }),
    ]);
    for (const response of whileDown) {
      expect(response.status).toBe(503);
      expect(ErrorResponse.parse(response.body).error.code).toBe('dependency_unavailable');
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // Unpatched postgres.js throws here from a timer (`Cannot read properties of null (reading 'write')`).
    expect(fatal).toEqual([]);

    // Back on the same port and data directory: the very next request succeeds.
    pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'data'), port: pg.port });
    const rightAfter = await call('GET', `/jobs/${jobId}`, admin);
    expect(rightAfter.status).toBe(200);
    expect(JobViewSchema.parse(rightAfter.body).jobId).toBe(jobId);

    // SQS redelivers the message; the lease has expired, so the next attempt claims and finishes.
    await expect
      .poll(async () => JobViewSchema.parse((await call('GET', `/jobs/${jobId}`, admin)).body).status, {
        timeout: 60_000,
        interval: 250,
      })
      .toBe('completed');
    await expect.poll(() => queueDepth(sqs, queue.queueUrl), { timeout: 10_000 }).toBe(0);

    const check = postgres(pg.url, { max: 1, onnotice: () => {} });
    clients.push(check);
    const [job] = await check<{ attempts: number; rows_exported: string }[]>`
      SELECT attempts, rows_exported FROM export_jobs WHERE id = ${jobId}`;
    const completions = await check`
      SELECT 1 FROM export_audit_log WHERE job_id = ${jobId} AND action = 'completed'`;
    const [{ count } = { count: '0' }] = await check<{ count: string }[]>`SELECT count(*) FROM activity_logs`;
    const columns = CATALOGUE.activity_logs!.columns.map((c) => `"${c.name}"`).join(', ');
    const oracle = await copyToBuffer(
      check,
      `COPY (SELECT ${columns} FROM "activity_logs" ORDER BY "id") TO STDOUT WITH (FORMAT csv, HEADER true)`,
    );
    // The second attempt wrote its own object (the first one, cut off by the restart, left none).
    const object = await readObject(s3, `exports/${jobId}/2/activity_logs.csv`);
    const emails = (await fs.readdir(outbox)).filter((name) => name.startsWith(jobId));

    expect(job).toMatchObject({ attempts: 2, rows_exported: count });
    expect(completions).toHaveLength(1);
    expect(object.equals(oracle)).toBe(true);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatch(/completed/);
    expect(await queueDepth(sqs, queue.dlqUrl)).toBe(0);
    expect(fatal).toEqual([]);
  }, 150_000);
});
