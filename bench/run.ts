/**
 * `npm run bench [-- --rows N] [--json] [--cases a,b]`: export benchmarks against a real Postgres and
 * the local S3 server, with `psql \copy (query) TO file CSV HEADER` measured in the same run as the
 * baseline (postgres.js `COPY … TO STDOUT` into a file when psql is absent). Each case runs in its
 * own process; ratioToBaseline = baseline seconds / case seconds (1.0 = as fast as psql).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import postgres from 'postgres';
import { migrate } from '../db/migrate.js';
import { ensureProductDatabase } from '../local/demo-data.js';
import { startEmbeddedPostgres } from '../local/embedded-postgres.js';
import { startLocalAws } from '../local/local-aws.js';

function runChild(
  command: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    json: { type: 'boolean', default: false },
    cases: { type: 'string' },
  },
});
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows < 1) throw new Error('--rows must be a positive integer');
const log = (line: string) => {
  if (!values.json) console.log(line);
  else console.error(line);
};

const QUERY =
  'SELECT "id", "user_id", "amount", "currency", "status", "description", "metadata", "created_at" FROM "transactions" ORDER BY "id"';
const benchDir = path.resolve('.bench');

// Cases run as an esbuild bundle, as the Lambda functions do (lib/export-bundling.ts), so neither
// tsx's loader nor its compile cache is part of the measured time and memory.
const caseBundle = path.join(benchDir, 'case.mjs');
fs.mkdirSync(benchDir, { recursive: true, mode: 0o777 });
fs.chmodSync(benchDir, 0o777);

await build({
  entryPoints: ['bench/case.ts'],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: caseBundle,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});

let databaseUrl = process.env.DATABASE_URL;
const pg = databaseUrl
  ? undefined
  : await startEmbeddedPostgres({ dataDir: path.join(benchDir, 'pg'), database: `bench_${rows}` });
databaseUrl ??= pg!.url;
const aws = await startLocalAws({ buckets: ['bench'] });

try {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const seedStart = Date.now();
  await migrate(sql);
  const users = Math.max(100, Math.min(100_000, Math.floor(rows / 100)));
  const { created } = await ensureProductDatabase(sql, { users, transactions: rows });
  const [{ n }] = (await sql`SELECT count(*)::int AS n FROM transactions`) as unknown as [{ n: number }];
  await sql.end();
  log(
    `transactions: ${n} rows (${created ? `seeded in ${((Date.now() - seedStart) / 1000).toFixed(1)} s` : 'cached in .bench/'})`,
  );

  const results: {
    case: string;
    rows: number;
    seconds: number;
    rowsPerSecond: number;
    ratioToBaseline: number;
    peakRssMb: number | null;
    bytes: number;
  }[] = [];

  // Baseline: psql \copy into a file, timed around the whole command.
  const out = path.join(benchDir, 'baseline.csv');
  const hasPsql = spawnSync('psql', ['--version']).status === 0;
  let baseline: { seconds: number; peakRssMb: number | null; name: string };
  if (hasPsql) {
    const hasTime = fs.existsSync('/usr/bin/time');
    const args = [databaseUrl, '-X', '-q', '-c', `\\copy (${QUERY}) TO '${out}' WITH CSV HEADER`];
    const started = process.hrtime.bigint();
    const result = hasTime
      ? spawnSync('/usr/bin/time', ['-f', '%M', 'psql', ...args], {
          env: { ...process.env, PGTZ: 'UTC' },
          encoding: 'utf8',
        })
      : spawnSync('psql', args, { env: { ...process.env, PGTZ: 'UTC' }, encoding: 'utf8' });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
    const rss = hasTime ? Number(result.stderr.trim().split('\n').at(-1)) / 1024 : null;
    baseline = {
      seconds,
      peakRssMb: rss === null ? null : Math.round(rss),
      name: 'baseline psql \\copy → file',
    };
  } else {
    const started = process.hrtime.bigint();
    const sql2 = postgres(databaseUrl, { max: 1 });
    const file = fs.createWriteStream(out);
    const stream = await sql2.unsafe(`COPY (${QUERY}) TO STDOUT WITH CSV HEADER`).readable();
    for await (const chunk of stream)
      if (!file.write(chunk)) await new Promise<void>((r) => file.once('drain', () => r()));
    await new Promise<void>((r) => file.end(() => r()));
    await sql2.end();
    baseline = {
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      peakRssMb: null,
      name: 'baseline postgres.js COPY → file (no psql here)',
    };
  }
  const baselineBytes = fs.statSync(out).size;
  fs.rmSync(out);
  results.push({
    case: baseline.name,
    rows: n,
    seconds: baseline.seconds,
    rowsPerSecond: Math.round(n / baseline.seconds),
    ratioToBaseline: 1,
    peakRssMb: baseline.peakRssMb,
    bytes: baselineBytes,
  });

  const all = [
    'engine csv → null',
    'engine ndjson → null',
    'engine json → null',
    'engine xml → null',
    'engine csv → s3',
    'engine csv.gz → s3',
    'engine ndjson → s3',
    'engine json → s3',
    'engine xml → s3',
    'worker csv → s3 (SQS handler)',
    'seed SELECT * + string join',
  ];
  const selected = values.cases
    ? all.filter((c) => values.cases!.split(',').some((s) => c.includes(s.trim())))
    : all;
  for (const name of selected) {
    // Asynchronous: the S3 emulator runs in this process and must keep serving while the case runs.
    // Only the seed's approach needs a bigger heap (it holds every row); engine cases run with Node's defaults.
    const heap = name.startsWith('seed') ? ['--max-old-space-size=8192'] : [];
    const child = await runChild(process.execPath, [
      ...heap,
      caseBundle,
      name,
      databaseUrl,
      aws.endpoint,
      'bench',
    ]);
    await aws.emptyBucket('bench');
    const line = child.stdout.trim().split('\n').at(-1) ?? '';
    if (child.status !== 0 || !line.startsWith('{')) {
      log(
        `${name}: failed (${child.stderr
          .split('\n')
          .filter(
            (l) =>
              l &&
              !/NodeVersion|node >=22|a\.co|upgrade|continue receiving|versions published|trace-warnings/.test(
                l,
              ),
          )
          .slice(-25)
          .join('\n')})`,
      );
      continue;
    }
    const r = JSON.parse(line) as { rows: number; seconds: number; peakRssMb: number; bytes: number };
    results.push({
      case: name,
      rows: r.rows,
      seconds: r.seconds,
      rowsPerSecond: Math.round(r.rows / r.seconds),
      ratioToBaseline: baseline.seconds / r.seconds,
      peakRssMb: r.peakRssMb,
      bytes: r.bytes,
    });
  }

  if (values.json) console.log(JSON.stringify({ results }));
  else {
    console.log(
      `\n${'case'.padEnd(34)} ${'rows'.padStart(9)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(10)} ${'ratio'.padStart(6)} ${'peak RSS'.padStart(9)} ${'MB out'.padStart(7)}`,
    );
    for (const r of results)
      console.log(
        `${r.case.padEnd(34)} ${String(r.rows).padStart(9)} ${r.seconds.toFixed(2).padStart(8)} ${String(r.rowsPerSecond).padStart(10)} ${r.ratioToBaseline.toFixed(2).padStart(6)} ${(r.peakRssMb === null ? 'n/a' : `${r.peakRssMb} MB`).padStart(9)} ${(r.bytes / 1e6).toFixed(1).padStart(7)}`,
      );
    console.log(
      '\nratio = baseline seconds / case seconds (higher is faster; 1.00 = as fast as the baseline)',
    );
  }
} finally {
  await aws.stop();
  await pg?.stop();
}
