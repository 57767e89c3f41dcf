/**
 * The chunked-export cases of `npm run bench` (DESIGN §10): `activity_logs` of `--rows` rows as
 * CSV to the local S3, written by the chunked engine on 1, 2 and 4 concurrent worker processes
 * (each chunk a queue message, as in AWS), and on one worker whose invocations are cut short so
 * that every chunk resumes from its checkpoint several times; each against the single-object
 * engine writing the same table in one stream, measured in the same round. Workers run as
 * separate processes, so the figures show real parallelism on this machine's cores, and each
 * worker's peak RSS is its own.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import postgres, { type Sql } from 'postgres';
import { migrate } from '../db/migrate.js';
import { createSqsClient, SqsExportQueue } from '../functions/adapters/sqs-export-queue.js';
import { createProductSchema, seedDemoData } from '../local/demo-data.js';
import type { LocalAws } from '../local/local-aws.js';

export const CHUNKED_CASES = [
  'chunked one stream (baseline)',
  'chunked 1 worker',
  'chunked 2 workers',
  'chunked 4 workers',
  'chunked 1 worker, resumed',
] as const;

export interface ChunkedBenchProps {
  readonly rows: number;
  readonly rounds: number;
  /** The Postgres server's URL; the benchmark uses a database of its own on it. */
  readonly databaseUrl: string;
  readonly aws: LocalAws;
  readonly benchDir: string;
  readonly cases: readonly string[];
  readonly log: (line: string) => void;
}

export interface ChunkedResult {
  readonly case: string;
  readonly runs: number;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** Median over rounds of (one stream's seconds / this case's seconds) in the same round. */
  readonly speedup: number;
  readonly peakRssMbPerWorker: number | null;
  readonly invocations: number | null;
}

interface Sample {
  seconds: number;
  rows: number;
  peakRssMb: number | null;
  invocations: number | null;
}

const BUCKET = 'bench';

/** Runs the selected chunked cases `rounds` times, interleaved, and returns their medians. */
export async function runChunkedBench(props: ChunkedBenchProps): Promise<ChunkedResult[]> {
  const bundle = path.join(props.benchDir, 'chunked-case.mjs');
  await build({
    entryPoints: ['bench/chunked-case.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: bundle,
    logLevel: 'warning',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  const url = await benchDatabase(props);
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  const sqs = createSqsClient({ endpoint: props.aws.endpoint });
  const chunkRows = Math.max(10_000, Math.ceil(props.rows / 8));
  let queues = 0;

  /** A case process; `done` resolves with its output once it exits. */
  const child = (args: string[]) => {
    const proc = spawn(process.execPath, [bundle, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    proc.stdout!.on('data', (c) => {
      out += c;
    });
    const done = new Promise<string>((resolve) => proc.on('close', () => resolve(out)));
    return { proc, done };
  };
  const lastJson = (out: string) => JSON.parse(out.trim().split('\n').at(-1) ?? '{}');

  const stream = async (): Promise<Sample> => {
    const r = lastJson(await child(['stream', url, props.aws.endpoint, BUCKET]).done);
    return { seconds: r.seconds, rows: r.rows, peakRssMb: r.peakRssMb, invocations: 1 };
  };

  const chunked = async (workers: number, timeoutMs: number, rowsPerChunk = chunkRows): Promise<Sample> => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: `bench-chunked-${process.pid}-${++queues}`,
        Attributes: { VisibilityTimeout: '30' },
      }),
    );
    const [job] = await sql<{ id: string }[]>`
      INSERT INTO export_jobs (kind, tables, filters, format, compression, options, requested_by, requester_email)
      VALUES ('bulk', '["activity_logs"]', '{}', 'csv', 'none', '{}', 'bench', 'bench@example.com')
      RETURNING id`;
    const running = Array.from({ length: workers }, () =>
      child(['worker', url, props.aws.endpoint, BUCKET, QueueUrl!, String(timeoutMs), String(rowsPerChunk)]),
    );
    // Let the worker processes load before the clock starts, as warm Lambda environments would be.
    await sleep(1_500);
    const started = process.hrtime.bigint();
    await new SqsExportQueue({ client: sqs, queueUrl: QueueUrl! }).enqueue({ jobId: job!.id });
    let status = 'queued';
    while (status !== 'completed' && status !== 'failed') {
      await sleep(100);
      [{ status }] = (await sql`SELECT status FROM export_jobs WHERE id = ${job!.id}`) as unknown as [
        { status: string },
      ];
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const [done] = await sql<{ rows: string; invocations: number }[]>`
      SELECT j.rows_exported::text AS rows, (SELECT sum(invocations)::int FROM export_chunks WHERE job_id = j.id) AS invocations
      FROM export_jobs j WHERE j.id = ${job!.id}`;
    // Stop the workers: they finish their poll and report their peak RSS.
    for (const { proc } of running) proc.kill('SIGTERM');
    const outs = await Promise.all(running.map((r) => r.done));
    await sql`DELETE FROM export_jobs WHERE id = ${job!.id}`;
    if (status !== 'completed') throw new Error(`chunked job ${status}`);
    const peaks = outs.map((o) => lastJson(o).peakRssMb as number).filter((p) => Number.isFinite(p));
    return {
      seconds,
      rows: Number(done!.rows),
      peakRssMb: peaks.length ? Math.max(...peaks) : null,
      invocations: done!.invocations,
    };
  };

  const selected = CHUNKED_CASES.filter((c) => props.cases.some((s) => c.includes(s)));
  const samples = new Map<string, { sample: Sample; ratio: number }[]>();
  try {
    for (let round = 1; round <= props.rounds; round++) {
      const base = await stream();
      await props.aws.emptyBucket(BUCKET);
      samples.set(CHUNKED_CASES[0], [...(samples.get(CHUNKED_CASES[0]) ?? []), { sample: base, ratio: 1 }]);
      for (const name of selected.filter((c) => c !== CHUNKED_CASES[0])) {
        const workers = name.includes('4 workers') ? 4 : name.includes('2 workers') ? 2 : 1;
        // Resumed: the whole table as one chunk (a job short of time is split even below
        // CHUNK_ROWS), each invocation given a quarter of what one stream needed, so the chunk
        // continues its upload across at least four invocations.
        const resumed = name.endsWith('resumed');
        const timeoutMs = resumed ? Math.max(3_000, Math.floor((base.seconds * 1000) / 4)) : 15 * 60 * 1000;
        const sample = await chunked(workers, timeoutMs, resumed ? props.rows * 2 : chunkRows);
        await props.aws.emptyBucket(BUCKET);
        samples.set(name, [...(samples.get(name) ?? []), { sample, ratio: base.seconds / sample.seconds }]);
      }
      props.log(`chunked round ${round}/${props.rounds} done`);
    }
  } finally {
    await sql.end();
    sqs.destroy();
  }
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  return [...samples].map(([name, runs]) => {
    const seconds = median(runs.map((r) => r.sample.seconds));
    const peaks = runs.map((r) => r.sample.peakRssMb).filter((p): p is number => p !== null);
    const last = runs.at(-1)!.sample;
    return {
      case: name,
      runs: runs.length,
      rows: last.rows,
      seconds,
      rowsPerSecond: Math.round(last.rows / seconds),
      speedup: median(runs.map((r) => r.ratio)),
      peakRssMbPerWorker: peaks.length ? Math.max(...peaks) : null,
      invocations: last.invocations,
    };
  });
}

/** A database of its own with `rows` rows of `activity_logs`, kept across runs (seeding 10M rows takes minutes). */
async function benchDatabase(props: ChunkedBenchProps): Promise<string> {
  const name = `bench_chunked_${props.rows}`;
  const admin = postgres(props.databaseUrl, { max: 1, onnotice: () => {} });
  const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
  if (!exists) await admin.unsafe(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(props.databaseUrl);
  url.pathname = `/${name}`;
  const sql: Sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await migrate(sql);
    const [present] = await sql`SELECT to_regclass('activity_logs') IS NOT NULL AS present`;
    if (!present?.present) {
      const started = Date.now();
      await createProductSchema(sql);
      await seedDemoData(sql, { users: 1_000, activity: props.rows });
      await sql`ANALYZE`;
      props.log(
        `activity_logs: ${props.rows} rows seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    await sql.end();
  }
  return url.toString();
}

/** The chunked cases as a table: speedup against one stream in the same rounds. */
export function printChunked(results: readonly ChunkedResult[], rounds: number): void {
  console.log(
    `\n${'chunked case'.padEnd(34)} ${'rows'.padStart(9)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(10)} ${'speedup'.padStart(8)} ${'RSS/worker'.padStart(11)} ${'invocations'.padStart(11)}`,
  );
  for (const r of results)
    console.log(
      `${r.case.padEnd(34)} ${String(r.rows).padStart(9)} ${r.seconds.toFixed(2).padStart(8)} ${String(r.rowsPerSecond).padStart(10)} ${r.speedup.toFixed(2).padStart(8)} ${(r.peakRssMbPerWorker === null ? 'n/a' : `${r.peakRssMbPerWorker} MB`).padStart(11)} ${String(r.invocations ?? '').padStart(11)}`,
    );
  console.log(
    `\nspeedup = one stream's seconds / case seconds in the same round${rounds > 1 ? `, median of ${rounds} interleaved rounds; RSS the highest` : ''}`,
  );
}
