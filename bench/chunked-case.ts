/**
 * Processes of the chunked-export benchmark (bench/chunked.ts), bundled like bench/case.ts:
 * - `stream <databaseUrl> <s3Endpoint> <bucket>`: `activity_logs` as one CSV object to S3 in one
 *   stream (the single-object engine), the baseline of the chunked cases;
 * - `worker <databaseUrl> <s3Endpoint> <bucket> <queueUrl> <timeoutMs> <chunkRows>`: one export
 *   worker execution environment polling the queue (each invocation with a deadline of
 *   `timeoutMs`) until it is sent SIGTERM.
 * Each prints one JSON line at the end: {seconds?, rows?, bytes?, peakRssMb}.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import postgres from 'postgres';
import { OutboxMailer } from '../functions/adapters/outbox-mailer.js';
import { PostgresExportDatabase } from '../functions/adapters/postgres-export-database.js';
import { createS3Client } from '../functions/adapters/s3-client.js';
import { S3ObjectStore } from '../functions/adapters/s3-object-store.js';
import { createSqsClient, SqsExportQueue } from '../functions/adapters/sqs-export-queue.js';
import { bulkSources, parseBulkExportRequest } from '../functions/domain/export-request.js';
import { runExport } from '../functions/domain/export-runner.js';
import { NO_METRICS } from '../functions/domain/metrics-sink.js';
import { buildWorkerDeps } from '../functions/shared/worker-context.js';
import { sqsRecord } from '../local/event-source.js';

const [mode, databaseUrl, s3Endpoint, bucket, queueUrl, timeoutMs, chunkRows] = process.argv.slice(
  2,
) as string[];

if (mode === 'stream') {
  const sql = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
  const spec = parseBulkExportRequest({ tables: ['activity_logs'], format: 'csv' });
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
  console.log(JSON.stringify({ seconds, rows: result.rows, bytes: result.bytes, peakRssMb: peakRssMb() }));
  process.exit(0);
}

if (mode !== 'worker') {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
const { createExportWorkerHandler } = await import('../functions/handlers/export-worker.js');
const jobsSql = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
const exportSql = postgres(databaseUrl!, { max: 1, onnotice: () => {} });
const sqs = createSqsClient({ endpoint: s3Endpoint });
const deps = buildWorkerDeps({
  jobsSql,
  exportSql,
  s3: createS3Client({ endpoint: s3Endpoint }),
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
  settings: { leaseSeconds: 120, linkTtlSeconds: 3600 },
  queue: new SqsExportQueue({ client: sqs, queueUrl: queueUrl! }),
  chunkRows: Number(chunkRows),
});
const handler = createExportWorkerHandler(() => ({ deps, maxReceiveCount: 5 }));
let stopping = false;
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
    const deadline = Date.now() + Number(timeoutMs);
    const context = {
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => deadline - Date.now(),
    } as unknown as Context;
    const response = await handler(
      { Records: [sqsRecord(message, 'arn:aws:sqs:us-east-1:000000000000:bench')] },
      context,
    );
    if (response.batchItemFailures.length === 0)
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }
}
await Promise.all([jobsSql.end(), exportSql.end()]);
console.log(JSON.stringify({ peakRssMb: peakRssMb() }));
process.exit(0);

/** Peak RSS of this process image (see bench/case.ts). */
function peakRssMb(): number {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return kb ? Math.round(Number(kb) / 1024) : Math.round(process.resourceUsage().maxRSS / 1024);
}
