/**
 * One benchmark case, run in its own process by bench/run.ts so that peak RSS is per case.
 * Usage: tsx bench/case.ts <case> <databaseUrl> <s3Endpoint> <bucket>
 * Prints one JSON line: {rows, seconds, bytes, peakRssMb}.
 */
import { readFileSync } from 'node:fs';
import postgres from 'postgres';
import { NullObjectStore } from '../functions/adapters/null-object-store.js';
import { PostgresExportDatabase } from '../functions/adapters/postgres-export-database.js';
import { createS3Client, S3ObjectStore } from '../functions/adapters/s3-object-store.js';
import { CATALOGUE } from '../functions/domain/catalogue.js';
import { bulkSources, parseBulkExportRequest } from '../functions/domain/export-request.js';
import { runExport } from '../functions/domain/export-runner.js';
import type { ObjectStore } from '../functions/domain/ports.js';

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

const cases: Record<string, () => Promise<{ rows: number; bytes: number }>> = {
  'engine csv → null': () => engine('csv', 'null'),
  'engine ndjson → null': () => engine('ndjson', 'null'),
  'engine json → null': () => engine('json', 'null'),
  'engine xml → null': () => engine('xml', 'null'),
  'engine csv → s3': () => engine('csv', 's3'),
  'engine csv.gz → s3': () => engine('csv', 's3', 'gzip'),
  'engine ndjson → s3': () => engine('ndjson', 's3'),
  'engine json → s3': () => engine('json', 's3'),
  'engine xml → s3': () => engine('xml', 's3'),
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
