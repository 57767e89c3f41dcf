/**
 * Processes of the chunked-export benchmark (bench/chunked.ts), bundled like bench/case.ts:
 * - `stream <databaseUrl> <s3Endpoint> <bucket>`: `activity_logs` as one CSV object to S3 in one
 *   stream (the single-object engine), the baseline of the chunked cases;
 * - `worker <databaseUrl> <s3Endpoint> <bucket> <queueUrl> <options>`: one export worker execution
 *   environment polling the queue until it is sent SIGTERM; `options` is the JSON of
 *   {@link WorkerOptions}.
 * Each prints one JSON line at the end: {seconds?, rows?, bytes?, peakRssMb, cpuSeconds}, the CPU
 * (user and system) the process spent on the export: from the start of the export, or for a
 * worker from the first message it received, so loading and idle polling are left out.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import postgres from 'postgres';
import { OutboxMailer } from '../functions/adapters/mail/outbox-mailer.js';
import { PostgresExportDatabase } from '../functions/adapters/postgres/postgres-export-database.js';
import { createS3Client } from '../functions/adapters/s3/client.js';
import { S3ObjectStore } from '../functions/adapters/s3/s3-object-store.js';
import { createSqsClient } from '../functions/adapters/sqs/client.js';
import { SqsExportQueue } from '../functions/adapters/sqs/sqs-export-queue.js';
import { runExport } from '../functions/domain/engine/run-export.js';
import { parseBulkExportRequest } from '../functions/domain/jobs/bulk-request.js';
import { NO_METRICS } from '../functions/domain/metrics-sink.js';
import { bulkSources } from '../functions/domain/worker/job-plan.js';
import { buildWorkerDeps } from '../functions/wiring/worker-context.js';
import { sqsRecord } from '../local/event-source.js';
import { INVOCATION_SECONDS } from './chunked-cases.js';

/** How a `worker` process runs its invocations. */
export interface WorkerOptions {
  /** The worker's `CHUNK_ROWS`. */
  readonly chunkRows: number;
  /**
   * Export the table as one chunk of the chunk writer: the job's own invocation is told it has
   * only its safety margin left, so it splits the job at once (into one chunk, `chunkRows` being
   * above the table's size) rather than write one object.
   */
  readonly oneChunk?: boolean;
  /**
   * Resumption forced by bytes rather than by the clock (with `oneChunk`, one worker): each time
   * the file's stored parts pass the next multiple of this many bytes, the invocation's deadline
   * is reported as reached, so the chunk stops at that part boundary and continues in the next
   * invocation. With a file of n such steps that makes n invocations (fewer only when a part is
   * larger than a step), a count that does not depend on how busy the machine is, and no
   * invocation spends time idle in a margin.
   */
  readonly cutEveryBytes?: number;
  /** Connections a `snapshot` job reads on besides the snapshot's (the export pool has one more). */
  readonly readers?: number;
}

const [mode, databaseUrl, s3Endpoint, bucket, queueUrl, optionsJson] = process.argv.slice(2) as string[];

if (mode === 'stream') {
  const sql = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
  const spec = parseBulkExportRequest({ tables: ['activity_logs'], format: 'csv' });
  const cpuStart = process.cpuUsage();
  const started = process.hrtime.bigint();
  const result = await runExport(
    {
      database: new PostgresExportDatabase(sql),
      store: new S3ObjectStore({ client: createS3Client({ endpoint: s3Endpoint }), bucket: bucket! }),
    },
    {
      sections: bulkSources(spec),
      format: 'csv',
      compression: 'none',
      formulaGuard: false,
      keyBase: `bench/stream-${randomUUID()}`,
      fileName: 'activity_logs',
    },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await sql.end();
  console.log(
    JSON.stringify({
      seconds,
      rows: result.rows,
      bytes: result.bytes,
      peakRssMb: peakRssMb(),
      cpuSeconds: cpuSecondsSince(cpuStart),
    }),
  );
  process.exit(0);
}

if (mode !== 'worker') {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { createExportWorkerHandler } = await import('../functions/handlers/export-worker.js');
const options = JSON.parse(optionsJson!) as WorkerOptions;
/** The worker's safety margin, set here rather than left to its default so the cut below can match it. */
const SAFETY_MARGIN_MS = 30_000;
const jobsSql = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
const exportSql = postgres(databaseUrl!, { max: (options.readers ?? 0) + 1, onnotice: () => {} });
const sqs = createSqsClient({ endpoint: s3Endpoint });
const s3 = createS3Client({ endpoint: s3Endpoint });
// Bytes of parts this process stored (the resumed case's one file), counted as S3 acknowledges them.
let fileBytes = 0;
// Where the current invocation is cut: the next multiple of `cutEveryBytes` after its first byte.
let cutAt = Number.POSITIVE_INFINITY;
s3.middlewareStack.add(
  (next, context) => async (args) => {
    const output = await next(args);
    if (context.commandName === 'UploadPartCommand')
      fileBytes += Number((args.input as { ContentLength?: number }).ContentLength ?? 0);
    return output;
  },
  { step: 'initialize', name: 'benchPartBytes' },
);
const deps = buildWorkerDeps({
  jobsSql,
  exportSql,
  s3,
  defaultBucket: bucket!,
  mailer: new OutboxMailer({
    dir: mkdtempSync(path.join(os.tmpdir(), 'bench-outbox-')),
    from: 'bench@example.com',
  }),
  metrics: NO_METRICS,
  // Outcome events have no receiver in the bench.
  events: { publish: async () => {} },
  linkSecret: 'bench-link-secret-0123456789abcdef',
  publicApiUrl: 'http://127.0.0.1:3000',
  settings: { leaseSeconds: 120, linkTtlSeconds: 3600, safetyMarginMs: SAFETY_MARGIN_MS },
  queue: new SqsExportQueue({ client: sqs, queueUrl: queueUrl! }),
  chunkRows: options.chunkRows,
});

/** Milliseconds left in an invocation (Lambda's `getRemainingTimeInMillis`), as {@link WorkerOptions} ask. */
function remainingTime(deadline: number, isChunk: boolean): number {
  if (!options.oneChunk) return deadline - Date.now();
  // Exactly the margin: the job is split at once, and a chunk's next part "might not fit".
  if (!isChunk) return SAFETY_MARGIN_MS;
  return fileBytes >= cutAt ? SAFETY_MARGIN_MS : deadline - Date.now();
}

const handler = createExportWorkerHandler(() => ({ deps, maxReceiveCount: 5 }));
let stopping = false;
/** CPU usage when this worker received its first message. */
let cpuStart: NodeJS.CpuUsage | undefined;
process.on('SIGTERM', () => {
  stopping = true;
});
while (!stopping) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  for (const message of Messages) {
    cpuStart ??= process.cpuUsage();
    const deadline = Date.now() + INVOCATION_SECONDS * 1000;
    const isChunk = (JSON.parse(message.Body ?? '{}') as { chunk?: number }).chunk !== undefined;
    const step = options.cutEveryBytes;
    cutAt = step ? (Math.floor(fileBytes / step) + 1) * step : Number.POSITIVE_INFINITY;
    const context = {
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => remainingTime(deadline, isChunk),
    } as unknown as Context;
    const response = await handler(
      { Records: [sqsRecord(message, 'arn:aws:sqs:us-east-1:000000000000:bench')] },
      context,
    );
    if (response.batchItemFailures.length === 0)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    // A retry in a second rather than after the queue's visibility timeout of a whole invocation.
    else
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 1,
        }),
      );
  }
}
await Promise.all([jobsSql.end(), exportSql.end()]);
console.log(JSON.stringify({ peakRssMb: peakRssMb(), cpuSeconds: cpuStart ? cpuSecondsSince(cpuStart) : 0 }));
process.exit(0);

/** User and system CPU seconds since `start`. */
function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** Peak RSS of this process image (see bench/case.ts). */
function peakRssMb(): number {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return kb ? Math.round(Number(kb) / 1024) : Math.round(process.resourceUsage().maxRSS / 1024);
}
