/**
 * One benchmark case, run in its own process by bench/run.ts so that peak RSS is per case.
 * Usage: tsx bench/case.ts <case> <databaseUrl> <s3Endpoint> <bucket>
 * Prints one JSON line: {rows, seconds, bytes, peakRssMb}.
 */

import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Context } from 'aws-lambda';
import postgres from 'postgres';
import { OutboxMailer } from '../functions/adapters/mail/outbox-mailer.js';
import { PostgresExportDatabase } from '../functions/adapters/postgres/postgres-export-database.js';
import { createS3Client } from '../functions/adapters/s3/client.js';
import { S3ObjectStore } from '../functions/adapters/s3/s3-object-store.js';
import { CATALOGUE } from '../functions/domain/catalogue/catalogue.js';
import type { ObjectStore } from '../functions/domain/engine/ports.js';
import { runExport } from '../functions/domain/engine/run-export.js';
import { parseBulkExportRequest } from '../functions/domain/jobs/bulk-request.js';
import { NO_METRICS } from '../functions/domain/metrics-sink.js';
import { bulkSources } from '../functions/domain/worker/job-plan.js';
import { buildWorkerDeps } from '../functions/wiring/worker-context.js';
import { benchSpec } from './bench-spec.js';
import { NullObjectStore } from './null-object-store.js';

const [name, databaseUrl, s3Endpoint, bucket] = process.argv.slice(2) as [string, string, string, string];
const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });

async function engine(format: string, sink: 'null' | 's3', compression = 'none') {
  const spec = parseBulkExportRequest({ tables: ['transactions'], format, compression });
  const store: ObjectStore =
    sink === 'null'
      ? new NullObjectStore()
      : new S3ObjectStore({ client: createS3Client({ endpoint: s3Endpoint }), bucket });
  const result = await runExport(
    { database: new PostgresExportDatabase(sql), store },
    {
      sections: bulkSources(spec),
      format: spec.format,
      compression: spec.compression,
      formulaGuard: false,
      keyBase: `bench/${name}`,
      fileName: name,
    },
  );
  return { rows: result.rows, bytes: result.bytes };
}

/**
 * The seed service's approach, kept for comparison: every row in memory from one SELECT *, then
 * a CSV built by joining strings (its escaping was also wrong; that is not measured here).
 */
async function seedApproach() {
  const rows = await sql`SELECT * FROM transactions`;
  const columns = CATALOGUE.transactions!.columns.map((c) => c.name);
  const lines = [columns.join(',')];
  for (const row of rows) {
    lines.push(
      columns
        .map((c) => {
          const v = row[c];
          if (v === null || v === undefined) return '';
          const s = typeof v === 'object' && !(v instanceof Date) ? JSON.stringify(v) : String(v);
          return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
        })
        .join(','),
    );
  }
  const csv = lines.join('\n');
  return { rows: rows.length, bytes: Buffer.byteLength(csv) };
}

/**
 * The worker path as SQS drives it: a bulk CSV job row, the Lambda handler with an SQS record, the
 * claim, the export to S3, the completion update, the audit row and the outbox email.
 */
async function worker() {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  const { createExportWorkerHandler } = await import('../functions/handlers/export-worker.js');
  const outbox = mkdtempSync(path.join(os.tmpdir(), 'bench-outbox-'));
  const exportSql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const deps = buildWorkerDeps({
    jobsSql: sql,
    exportSql,
    s3: createS3Client({ endpoint: s3Endpoint }),
    defaultBucket: bucket,
    mailer: new OutboxMailer({ dir: outbox, from: 'bench@example.com' }),
    events: { publish: async () => {} },
    metrics: NO_METRICS,
    linkSecret: 'bench-link-secret-0123456789abcdef',
    publicApiUrl: 'http://127.0.0.1:3000',
    settings: { leaseSeconds: 120, linkTtlSeconds: 3600 },
  });
  const [job] = await sql<{ id: string }[]>`
    INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email)
    VALUES ('bulk', ${sql.json(benchSpec('transactions') as never)}, '["transactions"]', 'csv', 'none', 'bench', 'bench@example.com')
    RETURNING id`;
  const body = JSON.stringify({ jobId: job!.id });
  const record = {
    messageId: randomUUID(),
    receiptHandle: 'bench',
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'bench',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
    awsRegion: 'us-east-1',
  };
  const handler = createExportWorkerHandler(() => ({ deps, maxReceiveCount: 5 }));
  const response = await handler({ Records: [record] }, {
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => 15 * 60 * 1000,
  } as unknown as Context);
  const [done] = await sql<{ status: string; rows_exported: string; bytes_written: string }[]>`
    SELECT status, rows_exported, bytes_written FROM export_jobs WHERE id = ${job!.id}`;
  await sql`DELETE FROM export_jobs WHERE id = ${job!.id}`;
  await exportSql.end();
  rmSync(outbox, { recursive: true, force: true });
  if (response.batchItemFailures.length || done?.status !== 'completed')
    throw new Error(`worker job ${done?.status}`);
  return { rows: Number(done.rows_exported), bytes: Number(done.bytes_written) };
}

const cases: Record<string, () => Promise<{ rows: number; bytes: number }>> = {
  'engine csv → null': () => engine('csv', 'null'),
  'engine ndjson → null': () => engine('ndjson', 'null'),
  'engine json → null': () => engine('json', 'null'),
  'engine xml → null': () => engine('xml', 'null'),
  'engine parquet → null': () => engine('parquet', 'null'),
  'engine csv → s3': () => engine('csv', 's3'),
  'engine csv.gz → s3': () => engine('csv', 's3', 'gzip'),
  'engine ndjson → s3': () => engine('ndjson', 's3'),
  'engine json → s3': () => engine('json', 's3'),
  'engine xml → s3': () => engine('xml', 's3'),
  'engine parquet → s3': () => engine('parquet', 's3'),
  'worker csv → s3 (SQS handler)': worker,
  'seed SELECT * + string join': seedApproach,
};

const run = cases[name];
if (!run) {
  console.error(`unknown case ${name}; known: ${Object.keys(cases).join(', ')}`);
  process.exit(2);
}
const started = process.hrtime.bigint();
const { rows, bytes } = await run();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await sql.end();
console.log(JSON.stringify({ rows, bytes, seconds, peakRssMb: peakRssMb() }));
// Keep-alive sockets of the SDK clients would hold the process open; the case is done.
process.exit(0);

/**
 * Peak RSS of this process image. Not `resourceUsage().maxRSS`: on Linux that high-water mark
 * survives fork + exec, so a child inherits its parent's RSS (here the runner, whose in-memory S3
 * server grows with every upload). `VmHWM` belongs to the post-exec address space only.
 */
function peakRssMb(): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) return Math.round(Number(kb) / 1024);
  } catch {
    // not Linux: fall back to getrusage
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}
