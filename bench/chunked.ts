/**
 * The chunked-export cases of `npm run bench` (docs/chunked-exports.md): `activity_logs` of `--rows` rows as
 * CSV to the local S3, written by the chunked engine on 1, 2 and 4 concurrent worker processes
 * (each chunk a queue message, as in AWS), and as one chunk in one invocation and forced through
 * `--invocations` invocations that each continue its upload. Every round measures two baselines
 * first: the single-object engine writing the same table in one stream, and the shell pipeline
 * `psql \copy … TO STDOUT | aws s3 cp -` into the same S3. Workers run as separate processes, so
 * the figures show real parallelism on this machine's cores, and each worker's peak RSS is its
 * own. With `--rss-rows`, every round also runs the same cases on a table of that size, to compare
 * peak RSS per worker. The bucket is emptied after every case, and its objects freed.
 */

import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateQueueCommand, DeleteQueueCommand } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import postgres from 'postgres';
import { createSqsClient } from '../functions/adapters/sqs/client.js';
import { SqsExportQueue } from '../functions/adapters/sqs/sqs-export-queue.js';
import { catalogueTable } from '../functions/domain/catalogue/catalogue.js';
import { tableSource } from '../functions/domain/catalogue/table-source.js';
import type { ConsistencyMode } from '../functions/domain/jobs/job-spec.js';
import type { LocalAws } from '../local/local-aws.js';
import { benchSpec } from './bench-spec.js';
import type { WorkerOptions } from './chunked-case.js';
import {
  CHUNKED_CASES,
  INVOCATION_SECONDS,
  ONE_CHUNK,
  ONE_STREAM,
  PIPELINE,
  RESUMED,
  SNAPSHOT,
  SNAPSHOT_READERS_OF_CASE,
  workersOf,
} from './chunked-cases.js';
import { chunkedBenchDatabase } from './chunked-database.js';
import {
  type ChunkedAnswers,
  type ChunkedSample,
  type ChunkedTable,
  chunkedAnswers,
  chunkedTable,
} from './chunked-report.js';
import { collectGarbage } from './collect-garbage.js';
import { type S3Pipeline, s3Pipeline } from './s3-pipeline.js';

export interface ChunkedBenchProps {
  readonly rows: number;
  /** A second table size run in the same rounds, for peak RSS per worker at both sizes. */
  readonly rssRows?: number;
  readonly rounds: number;
  /** Invocations the resumed case is cut into (at the first part boundary past each 1/n of the file). */
  readonly invocations: number;
  /** The Postgres server's URL; the benchmark uses a database of its own per table size on it. */
  readonly databaseUrl: string;
  readonly aws: LocalAws;
  readonly benchDir: string;
  /** The cases to run besides the baselines, from `CHUNKED_CASES`. */
  readonly cases: readonly string[];
  readonly log: (line: string) => void;
}

export interface ChunkedBenchResult {
  /** The main size first, then `rssRows`. */
  readonly tables: readonly ChunkedTable[];
  readonly answers: ChunkedAnswers;
}

const BUCKET = 'bench';

/** Runs the baselines and the selected cases `rounds` times, interleaved, and returns their medians. */
export async function runChunkedBench(props: ChunkedBenchProps): Promise<ChunkedBenchResult> {
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
  const sizes = [props.rows, ...(props.rssRows !== undefined ? [props.rssRows] : [])];
  const query = tableSource(catalogueTable('activity_logs')!).sql;
  const tables: { rows: number; url: string; pipeline?: S3Pipeline }[] = [];
  for (const rows of sizes) {
    const db = await chunkedBenchDatabase(props.databaseUrl, rows);
    props.log(
      `activity_logs: ${rows} rows (${db.seededSeconds === undefined ? 'cached in .bench/' : `seeded in ${db.seededSeconds.toFixed(1)} s`})`,
    );
    const pipeline = s3Pipeline({
      databaseUrl: db.url,
      query,
      rows,
      endpoint: props.aws.endpoint,
      bucket: BUCKET,
    });
    if ('unavailable' in pipeline) props.log(`no psql | aws s3 cp baseline: ${pipeline.unavailable}`);
    else if (rows === props.rows) props.log(`${PIPELINE}: ${pipeline.name} (${pipeline.cliVersion})`);
    tables.push({ rows, url: db.url, ...('measure' in pipeline && { pipeline }) });
  }

  const sql = postgres(tables[0]!.url, { max: 1, onnotice: () => {} });
  const sqs = createSqsClient({ endpoint: props.aws.endpoint });
  const samples = sizes.map(() => new Map<string, (ChunkedSample | undefined)[]>());
  const selected = CHUNKED_CASES.filter((c) => c !== ONE_STREAM && props.cases.includes(c));
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

  const stream = async (url: string): Promise<ChunkedSample> => {
    const r = lastJson(await child(['stream', url, props.aws.endpoint, BUCKET]).done);
    if (typeof r.seconds !== 'number') throw new Error('the one-stream export printed no result');
    return {
      seconds: r.seconds,
      rows: r.rows,
      bytes: r.bytes,
      peakRssMb: r.peakRssMb,
      cpuSeconds: r.cpuSeconds,
      invocations: 1,
    };
  };

  const chunked = async (
    url: string,
    workers: number,
    options: WorkerOptions,
    consistency: ConsistencyMode = 'chunked',
  ): Promise<ChunkedSample> => {
    const jobs = url === tables[0]!.url ? sql : postgres(url, { max: 1, onnotice: () => {} });
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({
        QueueName: `bench-chunked-${process.pid}-${++queues}`,
        // As long as an invocation may run (Lambda's rule), so that no message of a chunk still
        // being written is delivered to a second worker meanwhile.
        Attributes: { VisibilityTimeout: String(INVOCATION_SECONDS) },
      }),
    );
    const running = Array.from({ length: workers }, () =>
      child(['worker', url, props.aws.endpoint, BUCKET, QueueUrl!, JSON.stringify(options)]),
    );
    try {
      const [job] = await jobs<{ id: string }[]>`
        INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email)
        VALUES ('bulk', ${jobs.json(benchSpec('activity_logs', consistency) as never)}, '["activity_logs"]', 'csv', 'none', 'bench', 'bench@example.com')
        RETURNING id`;
      // Let the worker processes load before the clock starts, as warm Lambda environments would be.
      await sleep(1_500);
      const started = process.hrtime.bigint();
      await new SqsExportQueue({ client: sqs, queueUrl: QueueUrl! }).enqueue({ jobId: job!.id });
      let status = 'queued';
      while (status !== 'completed' && status !== 'failed') {
        await sleep(100);
        [{ status }] = (await jobs`SELECT status FROM export_jobs WHERE id = ${job!.id}`) as unknown as [
          { status: string },
        ];
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const [done] = await jobs<{ rows: string; bytes: string; invocations: number }[]>`
        SELECT j.rows_exported::text AS rows, j.bytes_written::text AS bytes,
          (SELECT sum(invocations)::int FROM export_chunks WHERE job_id = j.id) AS invocations
        FROM export_jobs j WHERE j.id = ${job!.id}`;
      await jobs`DELETE FROM export_jobs WHERE id = ${job!.id}`;
      if (status !== 'completed') throw new Error(`chunked job ${status}`);
      // Stop the workers: they finish their poll and report their peak RSS.
      for (const { proc } of running) proc.kill('SIGTERM');
      const reports = (await Promise.all(running.map((r) => r.done))).map(
        (o) => lastJson(o) as { peakRssMb?: number; cpuSeconds?: number },
      );
      const peaks = reports.map((r) => r.peakRssMb).filter((p): p is number => Number.isFinite(p));
      const cpu = reports.map((r) => r.cpuSeconds).filter((c): c is number => Number.isFinite(c));
      return {
        seconds,
        rows: Number(done!.rows),
        bytes: Number(done!.bytes),
        peakRssMb: peaks.length ? Math.max(...peaks) : null,
        cpuSeconds: cpu.length === workers ? cpu.reduce((a, b) => a + b, 0) : null,
        invocations: done!.invocations,
      };
    } finally {
      for (const { proc } of running) if (proc.exitCode === null) proc.kill('SIGTERM');
      await Promise.all(running.map((r) => r.done));
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
      if (jobs !== sql) await jobs.end();
    }
  };

  /** Runs one case, then empties the bucket; a failure is logged and leaves the round without it. */
  const measure = async (name: string, run: () => Promise<ChunkedSample>) => {
    try {
      return await run();
    } catch (error) {
      props.log(`${name}: failed (${error instanceof Error ? error.message : String(error)})`);
      return undefined;
    } finally {
      await props.aws.emptyBucket(BUCKET);
      collectGarbage();
    }
  };

  try {
    for (let round = 0; round < props.rounds; round++) {
      for (const [i, table] of tables.entries()) {
        const record = (name: string, sample: ChunkedSample | undefined) => {
          const runs = samples[i]!.get(name) ?? [];
          runs[round] = sample;
          samples[i]!.set(name, runs);
        };
        const { pipeline } = table;
        if (pipeline)
          record(
            PIPELINE,
            await measure(PIPELINE, async () => ({ ...(await pipeline.measure()), invocations: null })),
          );
        const base = await measure(ONE_STREAM, () => stream(table.url));
        record(ONE_STREAM, base);
        const chunkRows = Math.max(10_000, Math.ceil(table.rows / 8));
        for (const name of selected) {
          // One chunk: `chunkRows` above the table's size. Resumed: cut into `invocations` steps of
          // the file one stream wrote in this round (the chunk's file has the same bytes).
          const options: WorkerOptions =
            name === ONE_CHUNK || name === RESUMED
              ? {
                  chunkRows: table.rows * 2,
                  oneChunk: true,
                  ...(name === RESUMED &&
                    base && { cutEveryBytes: Math.ceil(base.bytes / props.invocations) }),
                }
              : name === SNAPSHOT
                ? { chunkRows, readers: SNAPSHOT_READERS_OF_CASE }
                : { chunkRows };
          const consistency: ConsistencyMode = name === SNAPSHOT ? 'snapshot' : 'chunked';
          if (name === RESUMED && !base) continue;
          record(name, await measure(name, () => chunked(table.url, workersOf(name), options, consistency)));
        }
      }
      const { rss, arrayBuffers } = process.memoryUsage();
      props.log(
        `chunked round ${round + 1}/${props.rounds} done (bench process, holding the S3 emulator: RSS ${Math.round(rss / 1e6)} MB, buffers ${Math.round(arrayBuffers / 1e6)} MB)`,
      );
    }
  } finally {
    await sql.end();
    sqs.destroy();
  }
  const results = tables.map((t, i) => chunkedTable(t.rows, samples[i]!));
  return {
    tables: results,
    answers: chunkedAnswers(results[0]!, samples[0]!, results[1]),
  };
}
