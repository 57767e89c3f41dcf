import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { Compression, ExportFormat } from '../../../../functions/domain/engine/export-format.js';
import { bulkSpec } from '../../../support/job-specs.js';

vi.hoisted(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
});

import { applyServiceRoles } from '../../../../db/service-roles.js';
import { OutboxMailer } from '../../../../functions/adapters/mail/outbox-mailer.js';
import { type ExportJobRow, toExportJob } from '../../../../functions/adapters/postgres/job-rows.js';
import { PostgresExportJobs } from '../../../../functions/adapters/postgres/postgres-export-jobs.js';
import { createSqsClient } from '../../../../functions/adapters/sqs/client.js';
import { SqsExportQueue } from '../../../../functions/adapters/sqs/sqs-export-queue.js';
import { CATALOGUE } from '../../../../functions/domain/catalogue/catalogue.js';
import type { MultipartUploads } from '../../../../functions/domain/engine/multipart-uploads.js';
import type { ExportJob, JobFile } from '../../../../functions/domain/jobs/export-job.js';
import type { ExportQueueMessage } from '../../../../functions/domain/jobs/export-queue.js';
import type { JobLeases } from '../../../../functions/domain/jobs/job-leases.js';
import type { ExportChunks } from '../../../../functions/domain/worker/chunks/export-chunks.js';
import { processExportJob } from '../../../../functions/domain/worker/process-export-job.js';
import { sweepStaleJobs } from '../../../../functions/domain/worker/sweep-stale-jobs.js';
import type { ProcessExportJobDeps } from '../../../../functions/domain/worker/worker-deps.js';
import { createExportWorkerHandler } from '../../../../functions/handlers/export-worker.js';
import { buildWorkerDeps } from '../../../../functions/wiring/worker-context.js';
import { createProductSchema, seedDemoData } from '../../../../local/demo-data.js';
import { startSqsEventSource } from '../../../../local/event-source.js';
import { RecordingEventPublisher } from '../../../support/notification-fakes.js';
import { keysUnder, readObject, serviceSql, testS3, testSql } from '../../../support/services.js';
import { createQueueWithDlq, type QueuePair } from '../../../support/sqs-queues.js';
import { RecordingMetrics } from '../../../support/worker-fakes.js';

/** requested_by of every job this file creates. */
const REQUESTER = `chunks-it-${process.pid}`;
const EMAIL = 'requester@example.com';
const LINK_SECRET = 'integration-link-secret-0123456789abcdef';
/** activity_logs gets 4 × as many rows: a few hundred thousand. */
const USERS = 60_000;
/**
 * Small enough that activity_logs becomes several chunks (3 of about 80,000 rows), large enough
 * that each chunk seals a second 5 MiB part after its first is stored: that seal is where a chunk
 * past its (reported) deadline pauses whatever the timing. With 4 chunks of 60,000 rows the
 * second part was the last, so a chunk paused only if its first part's upload ended before its
 * reading did, and faster reading made the "continued in another invocation" assertion flaky.
 */
const CHUNK_ROWS = 90_000;
/** A worker deadline of a few seconds, so chunks stop at part boundaries and continue. */
const WORKER_TIMEOUT_MS = 3_000;

const bucket = inject('bucket');
const s3 = testS3();
let sqs: SQSClient;
let jobsSql: Sql;
let workerSql: Sql;
let productSql: Sql;
let productWorkerSql: Sql;
let dbName: string;
let productUrl: string;
let outbox: string;
let queueCounter = 0;

beforeAll(async () => {
  jobsSql = testSql({ max: 4 });
  workerSql = serviceSql('worker', { max: 8 });
  sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
  outbox = await fs.mkdtemp(path.join(os.tmpdir(), 'chunks-outbox-'));
  dbName = `chunks_it_${process.pid}`;
  await jobsSql.unsafe(`CREATE DATABASE ${dbName}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${dbName}`;
  productUrl = url.toString();
  productSql = postgres(productUrl, { max: 4, onnotice: () => {} });
  await createProductSchema(productSql);
  await seedDemoData(productSql, { users: USERS });
  // The planner's statistics, as autovacuum would have them on a real table.
  await productSql`ANALYZE`;
  await applyServiceRoles(productSql);
  productWorkerSql = serviceSql('worker', { database: dbName, max: 12 });
}, 300_000);

afterAll(async () => {
  await jobsSql`DELETE FROM export_jobs WHERE requested_by = ${REQUESTER}`;
  await Promise.all([productSql?.end(), productWorkerSql?.end({ timeout: 1 })]);
  await jobsSql.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await Promise.all([jobsSql.end(), workerSql.end()]);
  await fs.rm(outbox, { recursive: true, force: true });
  sqs.destroy();
});

function workerDeps(
  queue: QueuePair,
  overrides: Partial<ProcessExportJobDeps> = {},
  exportSql: Sql = productWorkerSql,
): ProcessExportJobDeps {
  return {
    ...buildWorkerDeps({
      jobsSql: workerSql,
      exportSql,
      s3,
      defaultBucket: bucket,
      mailer: new OutboxMailer({ dir: outbox, from: 'Data Export <exports@example.com>' }),
      metrics: new RecordingMetrics(),
      events: new RecordingEventPublisher(),
      linkSecret: LINK_SECRET,
      publicApiUrl: 'http://localhost:3000',
      settings: { leaseSeconds: 30, linkTtlSeconds: 3600, heartbeatMs: 200 },
      queue: new SqsExportQueue({ client: sqs, queueUrl: queue.queueUrl }),
      chunkRows: CHUNK_ROWS,
    }),
    ...overrides,
  };
}

async function newQueue(): Promise<QueuePair> {
  return createQueueWithDlq(sqs, `chunks-it-${process.pid}-${++queueCounter}`, {
    maxReceiveCount: 3,
    visibilityTimeoutSeconds: 2,
  });
}

/** Parts an invocation stores before its (reported) time runs out: see `startWorkers`. */
const PARTS_PER_INVOCATION = 1;

/**
 * `workers` concurrent worker invocations polling `queue`, each with a deadline of `timeoutMs`.
 * Once an invocation has stored PARTS_PER_INVOCATION parts, its context reports a remaining time
 * just above the chunk's reserve (a quarter of the deadline), so the chunk pauses at that part
 * boundary and continues in another invocation however fast this machine is: resumption does not
 * hang on the clock.
 */
function startWorkers(
  queue: QueuePair,
  deps: ProcessExportJobDeps,
  workers: number,
  timeoutMs = WORKER_TIMEOUT_MS,
) {
  const handlers = Array.from({ length: workers }, () => {
    let parts = 0;
    const uploads = deps.chunking!.uploads;
    const counting: MultipartUploads = {
      create: (...args) => uploads.create(...args),
      uploadPart: async (...args) => {
        const part = await uploads.uploadPart(...args);
        parts++;
        return part;
      },
      complete: (...args) => uploads.complete(...args),
      abort: (...args) => uploads.abort(...args),
      read: (...args) => uploads.read(...args),
    };
    const handler = createExportWorkerHandler(() => ({
      deps: { ...deps, chunking: { ...deps.chunking!, uploads: counting } },
      maxReceiveCount: 3,
    }));
    return (event: SQSEvent, context: Context) => {
      parts = 0;
      const reserveEdge = Math.floor(timeoutMs / 4) + 10;
      return handler(event, {
        ...context,
        getRemainingTimeInMillis: () =>
          parts >= PARTS_PER_INVOCATION
            ? Math.min(reserveEdge, context.getRemainingTimeInMillis())
            : context.getRemainingTimeInMillis(),
      });
    };
  });
  return startSqsEventSource({
    sqs,
    queueUrl: queue.queueUrl,
    queueArn: queue.queueArn,
    handlers,
    functionName: 'export-worker',
    timeoutMs,
    waitTimeSeconds: 1,
    logError: () => {},
  });
}

async function insertJob(fields: {
  tables: string[];
  format: string;
  compression?: string;
  consistency?: 'chunked' | 'snapshot';
}): Promise<string> {
  const spec = bulkSpec({
    tables: fields.tables,
    format: fields.format as ExportFormat,
    compression: (fields.compression ?? 'none') as Compression,
    consistency: fields.consistency ?? 'chunked',
  });
  const [row] = await jobsSql<{ id: string }[]>`
    INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email)
    VALUES ('bulk', ${jobsSql.json(spec as never)}, ${jobsSql.json(fields.tables)}, ${spec.format}, ${spec.compression},
            ${REQUESTER}, ${EMAIL})
    RETURNING id`;
  return row!.id;
}

async function jobRow(id: string): Promise<ExportJob> {
  const [row] = await jobsSql<ExportJobRow[]>`SELECT * FROM export_jobs WHERE id = ${id}`;
  return toExportJob(row!);
}

async function waitForStatus(id: string, statuses: string[], timeout = 120_000): Promise<ExportJob> {
  await expect.poll(async () => (await jobRow(id)).status, { timeout, interval: 250 }).toBeOneOf(statuses);
  return jobRow(id);
}

async function chunkRows(id: string) {
  return jobsSql<{ ordinal: number; status: string; invocations: number; attempts: number }[]>`
    SELECT ordinal, status, invocations, attempts FROM export_chunks WHERE job_id = ${id} ORDER BY ordinal`;
}

async function openUploads(prefix: string): Promise<number> {
  const listed = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return listed.Uploads?.length ?? 0;
}

async function emailsFor(id: string): Promise<string[]> {
  return (await fs.readdir(outbox)).filter((name) => name.startsWith(id)).sort();
}

/** `psql \copy (…) TO STDOUT WITH CSV HEADER`: the independent oracle. */
function csvOracle(table: string, where = 'true'): Buffer {
  const columns = CATALOGUE[table]!.columns.map((c) => `"${c.name}"`).join(', ');
  return execFileSync(
    'psql',
    [
      productUrl,
      '-X',
      '-q',
      '-c',
      `\\copy (SELECT ${columns} FROM "${table}" WHERE ${where} ORDER BY "id") TO STDOUT WITH CSV HEADER`,
    ],
    { env: { ...process.env, PGTZ: 'UTC', PGDATESTYLE: 'ISO, MDY' }, maxBuffer: 512 * 1024 * 1024 },
  );
}

/** The rows of CSV files (header dropped), concatenated in file order. */
function csvBody(file: Buffer): string {
  const text = file.toString('utf8');
  return text.slice(text.indexOf('\n') + 1);
}

interface Manifest {
  jobId: string;
  format: string;
  compression: string;
  asOf: string;
  consistency: string;
  files: (Pick<JobFile, 'name' | 'key' | 'table' | 'rows' | 'bytes' | 'sha256'> & {
    keyRange: { from: string | null; to: string | null };
  })[];
  totals: { rows: number; bytes: number };
}

async function manifestOf(id: string): Promise<Manifest> {
  return JSON.parse((await readObject(s3, `exports/${id}/manifest.json`)).toString('utf8')) as Manifest;
}

describe('chunked exports on Postgres, S3 and SQS', () => {
  it('splits a large table into key ranges whose files, joined, equal psql \\copy row for row, across resumed invocations', async () => {
    // Arrange
    const queue = await newQueue();
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv' });
    const deps = workerDeps(queue);
    const workers = startWorkers(queue, deps, 2);

    // Act
    try {
      await new SqsExportQueue({ client: sqs, queueUrl: queue.queueUrl }).enqueue({ jobId: id });
      const job = await waitForStatus(id, ['completed', 'failed']);

      // Assert: one manifest naming every part, whose digests and counts match the files
      expect(job.status).toBe('completed');
      const manifest = await manifestOf(id);
      expect(manifest).toMatchObject({
        jobId: id,
        format: 'csv',
        compression: 'none',
        consistency: 'chunked',
      });
      expect(manifest.files.length).toBeGreaterThanOrEqual(3);
      const bodies: string[] = [];
      for (const file of manifest.files) {
        const bytes = await readObject(s3, file.key);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
        expect(bytes.length).toBe(file.bytes);
        // The rows of its key range, as Postgres counts them (cells may hold line breaks).
        const [range] = await productSql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM activity_logs
          WHERE (${file.keyRange.from}::bigint IS NULL OR id > ${file.keyRange.from}::bigint)
            AND id <= ${file.keyRange.to}::bigint`;
        expect(file.rows).toBe(range!.n);
        bodies.push(csvBody(bytes));
      }
      const oracle = csvOracle('activity_logs');
      expect(bodies.join('')).toBe(csvBody(oracle));
      expect(manifest.totals.rows).toBe(job.result?.rows);
      expect(job.result?.files?.map((f) => f.name)).toEqual(manifest.files.map((f) => f.name));
      expect(job.progress).toMatchObject({ percent: 100, chunksDone: manifest.files.length });
      // The short deadline made at least one chunk continue in another invocation.
      const chunks = await chunkRows(id);
      expect(chunks.some((c) => c.invocations > 1)).toBe(true);
      expect(await openUploads(`exports/${id}/`)).toBe(0);
      expect(await emailsFor(id)).toHaveLength(1);
      const audits =
        await jobsSql`SELECT 1 FROM export_audit_log WHERE job_id = ${id} AND action = 'completed'`;
      expect(audits).toHaveLength(1);
    } finally {
      await workers.stop(5_000);
    }
  });

  it('writes gzip NDJSON parts that each decompress to whole rows, none twice, none missing', async () => {
    const queue = await newQueue();
    const id = await insertJob({ tables: ['activity_logs', 'users'], format: 'ndjson', compression: 'gzip' });
    const workers = startWorkers(queue, workerDeps(queue), 2);
    try {
      await new SqsExportQueue({ client: sqs, queueUrl: queue.queueUrl }).enqueue({ jobId: id });
      const job = await waitForStatus(id, ['completed', 'failed']);

      expect(job.status).toBe('completed');
      const manifest = await manifestOf(id);
      // users (a uuid key) stays one file; activity_logs is split.
      const userFiles = manifest.files.filter((f) => f.table === 'users');
      expect(userFiles.map((f) => f.name)).toEqual(['users/part-00001.ndjson.gz']);
      const userLines = gunzipSync(await readObject(s3, userFiles[0]!.key))
        .toString('utf8')
        .trimEnd()
        .split('\n');
      const [users] = await productSql<{ n: number }[]>`SELECT count(*)::int AS n FROM users`;
      expect(userLines).toHaveLength(users!.n);
      const ids: number[] = [];
      for (const file of manifest.files.filter((f) => f.table === 'activity_logs')) {
        expect(file.name).toMatch(/^activity_logs\/part-\d{5}\.ndjson\.gz$/);
        const lines = gunzipSync(await readObject(s3, file.key))
          .toString('utf8')
          .trimEnd()
          .split('\n');
        expect(lines).toHaveLength(file.rows);
        for (const line of lines) ids.push((JSON.parse(line) as { id: number }).id);
      }
      const [{ n, max }] =
        (await productSql`SELECT count(*)::int AS n, max(id)::int AS max FROM activity_logs`) as unknown as [
          { n: number; max: number },
        ];
      expect(ids).toHaveLength(n);
      expect(new Set(ids).size).toBe(n);
      expect(ids.reduce((a, b) => Math.max(a, b), 0)).toBe(max);
    } finally {
      await workers.stop(5_000);
    }
  });
  it('cancelled mid-way, stops every chunk and leaves no object and no open multipart upload', async () => {
    // Arrange: a job running on two workers, some rows written
    const queue = await newQueue();
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv' });
    const workers = startWorkers(queue, workerDeps(queue), 2);
    try {
      await new SqsExportQueue({ client: sqs, queueUrl: queue.queueUrl }).enqueue({ jobId: id });
      await expect
        .poll(async () => (await jobRow(id)).progress.rowsExported ?? 0, { timeout: 60_000, interval: 100 })
        .toBeGreaterThan(0);

      // Act: what DELETE /jobs/{id} does
      await new PostgresExportJobs(jobsSql).requestCancel(id);
      const job = await waitForStatus(id, ['cancelled', 'completed', 'failed']);

      // Assert
      expect(job.status).toBe('cancelled');
      const chunks = await chunkRows(id);
      expect(chunks.every((c) => c.status === 'cancelled' || c.status === 'completed')).toBe(true);
      expect(await keysUnder(s3, `exports/${id}/`)).toEqual([]);
      expect(await openUploads(`exports/${id}/`)).toBe(0);
      expect(await emailsFor(id)).toEqual([]);
    } finally {
      await workers.stop(5_000);
    }
  });

  it('cancelled while a chunk records its finished file, has that chunk, the last to settle, finish the cancellation', async () => {
    // Arrange: a planned job whose chunk 1 has written its file and waits before recording it
    const queue = await newQueue();
    const base = workerDeps(queue);
    const deps: ProcessExportJobDeps = {
      ...base,
      chunking: { ...base.chunking!, queue: { enqueue: async () => {} } },
    };
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv' });
    const longDeadline = { receiveCount: 1, maxReceiveCount: 3, remainingTimeMs: () => 600_000 };
    expect((await processExportJob(deps, { ...longDeadline, message: { jobId: id } })).status).toBe('split');
    let arrived!: () => void;
    const atComplete = new Promise<void>((resolve) => (arrived = resolve));
    let letGo!: () => void;
    const gate = new Promise<void>((resolve) => (letGo = resolve));
    const held: ExportChunks = Object.create(deps.chunking!.chunks);
    held.complete = async (...args) => {
      arrived();
      await gate;
      return deps.chunking!.chunks.complete(...args);
    };
    const first = processExportJob(
      { ...deps, chunking: { ...deps.chunking!, chunks: held } },
      { ...longDeadline, message: { jobId: id, chunk: 1 } },
    );
    await atComplete;

    // Act: cancel; a sibling's message stops the job's other chunks while chunk 1 still runs;
    // then chunk 1 records its file
    await new PostgresExportJobs(jobsSql).requestCancel(id);
    const sibling = await processExportJob(deps, { ...longDeadline, message: { jobId: id, chunk: 2 } });
    const whileRunning = (await jobRow(id)).status;
    letGo();
    await first;

    // Assert
    expect(sibling.status).toBe('cancelled');
    expect(whileRunning).toBe('processing');
    expect((await jobRow(id)).status).toBe('cancelled');
    expect((await chunkRows(id)).map((c) => c.status)).not.toContain('queued');
    expect(await keysUnder(s3, `exports/${id}/`)).toEqual([]);
    expect(await openUploads(`exports/${id}/`)).toBe(0);
    expect(await emailsFor(id)).toEqual([]);
  });

  it('resumes a chunk whose worker died mid-chunk from its checkpoint, and leaves out rows inserted after planning', async () => {
    // Arrange: plan the job, capturing its chunk messages instead of running them
    const sent: ExportQueueMessage[] = [];
    const queue = await newQueue();
    const capture = { enqueue: async (message: ExportQueueMessage) => void sent.push(message) };
    const base = workerDeps(queue);
    const deps: ProcessExportJobDeps = { ...base, chunking: { ...base.chunking!, queue: capture } };
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv' });
    const longDeadline = { receiveCount: 1, maxReceiveCount: 3, remainingTimeMs: () => 600_000 };
    const split = await processExportJob(deps, { ...longDeadline, message: { jobId: id } });
    expect(split.status).toBe('split');
    const [{ max }] = (await productSql`SELECT max(id)::text AS max FROM activity_logs`) as unknown as [
      { max: string },
    ];
    // Rows inserted after planning: their keys are above the planned ranges.
    await productSql`
      INSERT INTO activity_logs (id, user_id, action, created_at)
      SELECT ${max}::bigint + g, (SELECT id FROM users LIMIT 1), 'inserted_later', now()
      FROM generate_series(1, 25) g`;

    try {
      // A worker that stores its first part, saves the checkpoint and then hangs for good
      // (killed): no more heartbeats, its short lease runs out.
      const hang = new Promise<never>(() => {});
      const dying: ExportChunks = Object.create(deps.chunking!.chunks);
      let checkpoints = 0;
      dying.checkpoint = async (...args) => {
        const saved = await deps.chunking!.chunks.checkpoint(...args);
        if (args[3].parts.length > 0 && ++checkpoints >= 1) return hang;
        return saved;
      };
      dying.heartbeat = async (...args) =>
        checkpoints > 0 ? hang : deps.chunking!.chunks.heartbeat(...args);
      const killed: ProcessExportJobDeps = {
        ...deps,
        settings: { ...deps.settings, leaseSeconds: 2 },
        chunking: { ...deps.chunking!, chunks: dying },
      };
      void processExportJob(killed, { ...longDeadline, message: { jobId: id, chunk: 1 } });
      await expect
        .poll(
          async () => {
            const [row] = await jobsSql<{ parts: number; expired: boolean }[]>`
              SELECT coalesce(jsonb_array_length(checkpoint->'parts'), 0) AS parts, lease_until < now() AS expired
              FROM export_chunks WHERE job_id = ${id} AND ordinal = 1`;
            return row!.parts > 0 && row!.expired;
          },
          { timeout: 60_000, interval: 200 },
        )
        .toBe(true);

      // Act: the redelivered message on a fresh worker, then the other chunks
      const parts: number[] = [];
      const uploads: MultipartUploads = Object.create(deps.chunking!.uploads);
      uploads.uploadPart = (key, uploadId, partNumber, body) => {
        parts.push(partNumber);
        return deps.chunking!.uploads.uploadPart(key, uploadId, partNumber, body);
      };
      const fresh: ProcessExportJobDeps = { ...deps, chunking: { ...deps.chunking!, uploads } };
      const resumed = await processExportJob(fresh, { ...longDeadline, message: { jobId: id, chunk: 1 } });
      for (const message of sent.filter((m) => 'chunk' in m && m.chunk !== 1)) {
        await processExportJob(deps, { ...longDeadline, message });
      }

      // Assert: the resumed chunk continued its upload after the stored part
      expect(resumed.status).toMatch(/^(chunk_completed|completed)$/);
      expect(parts[0]).toBeGreaterThan(1);
      const job = await waitForStatus(id, ['completed', 'failed'], 10_000);
      expect(job.status).toBe('completed');
      const manifest = await manifestOf(id);
      const bodies: string[] = [];
      for (const file of manifest.files) {
        const bytes = await readObject(s3, file.key);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
        bodies.push(csvBody(bytes));
      }
      const oracle = csvOracle('activity_logs', `"id" <= ${max}`);
      expect(bodies.join('')).toBe(csvBody(oracle));
      expect(bodies.join('')).not.toContain('inserted_later');
      expect(await emailsFor(id)).toHaveLength(1);
    } finally {
      await productSql`DELETE FROM activity_logs WHERE id > ${max}::bigint`;
    }
  });
  it('has the sweeper send the message of a chunk nobody works on again', async () => {
    // Arrange: a split job whose chunk messages were lost
    const queue = await newQueue();
    const lost: ExportQueueMessage[] = [];
    const base = workerDeps(queue);
    const deps: ProcessExportJobDeps = {
      ...base,
      chunking: { ...base.chunking!, queue: { enqueue: async (m) => void lost.push(m) } },
    };
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv' });
    await processExportJob(deps, {
      receiveCount: 1,
      maxReceiveCount: 3,
      remainingTimeMs: () => 600_000,
      message: { jobId: id },
    });
    await jobsSql`UPDATE export_chunks SET updated_at = now() - interval '1 hour' WHERE job_id = ${id} AND ordinal = 2`;
    const sent: ExportQueueMessage[] = [];

    // Act
    const result = await sweepStaleJobs(
      { ...deps, queue: { enqueue: async (m) => void sent.push(m) }, chunks: deps.chunking!.chunks },
      { now: new Date(), maxAttempts: 3, queuedGraceSeconds: 60 },
    );

    // Assert: only the stale chunk, and the job itself is left to its chunks
    expect(lost.length).toBeGreaterThan(2);
    expect(sent).toEqual([{ jobId: id, chunk: 2 }]);
    expect(result.requeued).toBe(1);
    await jobsSql`DELETE FROM export_jobs WHERE id = ${id}`;
  });
});

/** `uploads` whose part uploads wait until `release()`; `waiting` counts those that arrived. */
function heldUploads(uploads: MultipartUploads) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const held = {
    waiting: 0,
    release: () => release(),
    uploads: Object.create(uploads) as MultipartUploads,
  };
  held.uploads.uploadPart = async (...args) => {
    held.waiting++;
    await released;
    return uploads.uploadPart(...args);
  };
  return held;
}

describe('snapshot consistency: parallel readers sharing one exported snapshot', () => {
  const longDeadline = { receiveCount: 1, maxReceiveCount: 3, remainingTimeMs: () => 600_000 };

  it('writes every chunk from the one snapshot taken at planning, on readers running at once, whatever changes meanwhile', async () => {
    // Arrange: two readers for more chunks than that; part uploads held until both readers are
    // inside their transactions, then the table is changed before they go on
    const queue = await newQueue();
    const base = workerDeps(queue);
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv', consistency: 'snapshot' });
    const before = csvOracle('activity_logs');
    const [{ max }] = (await productSql`SELECT max(id)::text AS max FROM activity_logs`) as unknown as [
      { max: string },
    ];
    const held = heldUploads(base.chunking!.uploads);
    const deps: ProcessExportJobDeps = {
      ...base,
      chunking: { ...base.chunking!, uploads: held.uploads, snapshotReaders: 2 },
    };

    try {
      // Act
      const running = processExportJob(deps, { ...longDeadline, message: { jobId: id } });
      await expect.poll(() => held.waiting, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(2);
      await productSql.begin(async (tx) => {
        await tx`UPDATE activity_logs SET action = 'changed_later' WHERE id % 997 = 0`;
        await tx`DELETE FROM activity_logs WHERE id % 991 = 0`;
        await tx`
          INSERT INTO activity_logs (id, user_id, action, created_at)
          SELECT ${max}::bigint + g, (SELECT id FROM users LIMIT 1), 'inserted_later', now()
          FROM generate_series(1, 25) g`;
      });
      held.release();
      const outcome = await running;

      // Assert: the files are the table as it was at planning, the manifest says so
      expect(outcome.status).toBe('completed');
      const job = await jobRow(id);
      const manifest = await manifestOf(id);
      expect(manifest.consistency).toBe('snapshot');
      expect(manifest.files.length).toBeGreaterThan(2);
      const bodies: string[] = [];
      for (const file of manifest.files) {
        const bytes = await readObject(s3, file.key);
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
        bodies.push(csvBody(bytes));
      }
      expect(bodies.join('')).toBe(csvBody(before));
      expect(job.progress).toMatchObject({ percent: 100, chunksDone: manifest.files.length });
      expect((await chunkRows(id)).every((c) => c.status === 'completed' && c.invocations === 1)).toBe(true);
      expect(await openUploads(`exports/${id}/`)).toBe(0);
      expect(await emailsFor(id)).toHaveLength(1);
    } finally {
      held.release();
      await productSql`DELETE FROM activity_logs WHERE id > ${max}::bigint`;
    }
  });

  it('with no connection besides the snapshot, has its holder read every chunk itself', async () => {
    // Arrange: a worker whose export pool has one connection (SNAPSHOT_READERS=0)
    const queue = await newQueue();
    const single = serviceSql('worker', { database: dbName, max: 1 });
    const one = workerDeps(queue, {}, single);
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv', consistency: 'snapshot' });

    try {
      // Act
      const outcome = await processExportJob(one, { ...longDeadline, message: { jobId: id } });

      // Assert
      expect(one.chunking?.snapshotReaders).toBe(0);
      expect(outcome.status).toBe('completed');
      const manifest = await manifestOf(id);
      expect(manifest.consistency).toBe('snapshot');
      expect(manifest.files.length).toBeGreaterThan(2);
      const bodies: string[] = [];
      for (const file of manifest.files) bodies.push(csvBody(await readObject(s3, file.key)));
      expect(bodies.join('')).toBe(csvBody(csvOracle('activity_logs')));
    } finally {
      await single.end();
    }
  });

  it('fails a snapshot job that cannot finish in its invocation, leaving no object, no upload and no chunk', async () => {
    // Arrange: the invocation's time runs out once a part is stored
    const queue = await newQueue();
    const base = workerDeps(queue);
    let parts = 0;
    const uploads: MultipartUploads = Object.create(base.chunking!.uploads);
    uploads.uploadPart = async (...args) => {
      const part = await base.chunking!.uploads.uploadPart(...args);
      parts++;
      return part;
    };
    const deps: ProcessExportJobDeps = {
      ...base,
      settings: { ...base.settings, safetyMarginMs: 1_000 },
      chunking: { ...base.chunking!, uploads, snapshotReaders: 2 },
    };
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv', consistency: 'snapshot' });

    // Act
    const outcome = await processExportJob(deps, {
      ...longDeadline,
      remainingTimeMs: () => (parts > 0 ? 500 : 600_000),
      message: { jobId: id },
    });

    // Assert: failed for good (a retry would run out the same way), with a reason saying what to do
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { code: 'snapshot_too_long', retryable: false },
    });
    const job = await jobRow(id);
    expect(job.status).toBe('failed');
    expect(job.error?.message).toContain('chunked');
    expect(await keysUnder(s3, `exports/${id}/`)).toEqual([]);
    expect(await openUploads(`exports/${id}/`)).toBe(0);
    expect(await chunkRows(id)).toEqual([]);
    expect(await emailsFor(id)).toHaveLength(1);
  });

  it('cancelled while its readers write, leaves no object, no open upload and no chunk', async () => {
    // Arrange: part uploads held until the cancellation is requested
    const queue = await newQueue();
    const base = workerDeps(queue);
    const held = heldUploads(base.chunking!.uploads);
    // Released once the job's heartbeat has learnt of the cancellation.
    const leases: JobLeases = Object.create(base.leases);
    leases.recordProgress = async (...args) => {
      const state = await base.leases.recordProgress(...args);
      if (state.cancelRequested) held.release();
      return state;
    };
    const deps: ProcessExportJobDeps = {
      ...base,
      leases,
      chunking: { ...base.chunking!, uploads: held.uploads, snapshotReaders: 2 },
    };
    const id = await insertJob({ tables: ['activity_logs'], format: 'csv', consistency: 'snapshot' });
    const running = processExportJob(deps, { ...longDeadline, message: { jobId: id } });
    await expect.poll(() => held.waiting, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(1);

    // Act: what DELETE /jobs/{id} does; the heartbeat learns of it
    await new PostgresExportJobs(jobsSql).requestCancel(id);
    const outcome = await running;

    // Assert
    expect(outcome.status).toBe('cancelled');
    expect((await jobRow(id)).status).toBe('cancelled');
    expect(await keysUnder(s3, `exports/${id}/`)).toEqual([]);
    expect(await openUploads(`exports/${id}/`)).toBe(0);
    expect(await chunkRows(id)).toEqual([]);
    expect(await emailsFor(id)).toEqual([]);
  });
});
