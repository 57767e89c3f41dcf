/**
 * `npm run bench [-- --rows N] [--json] [--cases a,b] [--repeat N] [--rss-rows N] [--invocations N]`:
 * export benchmarks against a real Postgres and the local S3 server, with `psql \copy (query) TO file CSV HEADER` measured in
 * the same run as the baseline (postgres.js `COPY … TO STDOUT` into a file when psql is absent).
 * Each case runs in its own process; ratioToBaseline = baseline seconds / case seconds (1.0 = as
 * fast as psql). With `--repeat N` the baseline and the cases run N times interleaved (baseline,
 * case 1, case 2, …, baseline, …) and each figure is the median of its rounds, the ratio being
 * the median of each round's case against that round's baseline, so a machine whose load changes
 * during the run skews both alike; peak RSS is the highest of the rounds. The cases that write to
 * S3 are also compared with a second baseline measured in each round, the shell pipeline
 * `psql \copy (query) TO STDOUT | aws s3 cp - s3://…` into the same local S3 (bench/s3-pipeline.ts):
 * ratioToS3Pipeline = pipeline seconds / case seconds. The bucket is emptied after each case, and
 * its objects freed (bench/collect-garbage.ts).
 * Only what the selected cases need is seeded: `--cases chunked` runs the chunked cases alone, on
 * `activity_logs` (bench/chunked.ts, where `--rss-rows` and `--invocations` apply).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import postgres from 'postgres';
import { migrate } from '../db/migrate.js';
import { catalogueTable } from '../functions/domain/catalogue/catalogue.js';
import { tableSource } from '../functions/domain/catalogue/table-source.js';
import { ensureProductDatabase } from '../local/demo-data.js';
import { startEmbeddedPostgres } from '../local/embedded-postgres.js';
import { startLocalAws } from '../local/local-aws.js';
import { runChunkedBench } from './chunked.js';
import { CHUNKED_CASES } from './chunked-cases.js';
import { printChunked } from './chunked-report.js';
import { collectGarbage } from './collect-garbage.js';
import { median } from './median.js';
import { s3Pipeline } from './s3-pipeline.js';

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
    repeat: { type: 'string', default: '1' },
    'rss-rows': { type: 'string' },
    invocations: { type: 'string', default: '4' },
  },
});
const rows = Number(values.rows);
if (!Number.isInteger(rows) || rows < 1) throw new Error('--rows must be a positive integer');
const rounds = Number(values.repeat);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--repeat must be a positive integer');
const rssRows = values['rss-rows'] === undefined ? undefined : Number(values['rss-rows']);
if (rssRows !== undefined && (!Number.isInteger(rssRows) || rssRows < 1))
  throw new Error('--rss-rows must be a positive integer');
const invocations = Number(values.invocations);
if (!Number.isInteger(invocations) || invocations < 2) throw new Error('--invocations must be at least 2');
const log = (line: string) => {
  if (!values.json) console.log(line);
  else console.error(line);
};

/** The baselines' query: the one the engine runs for the whole table, from the catalogue. */
const QUERY = tableSource(catalogueTable('transactions')!).sql;
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

const ALL_CASES = [
  'engine csv → null',
  'engine ndjson → null',
  'engine json → null',
  'engine xml → null',
  'engine parquet → null',
  'engine csv → s3',
  'engine csv.gz → s3',
  'engine ndjson → s3',
  'engine json → s3',
  'engine xml → s3',
  'engine parquet → s3',
  'worker csv → s3 (SQS handler)',
  'seed SELECT * + string join',
];
const matches = (name: string) =>
  !values.cases || values.cases.split(',').some((s) => name.includes(s.trim()));
// The `transactions` cases and the chunked cases each seed (and measure baselines on) their own table.
const selected = ALL_CASES.filter(matches);
const chunkedSelected = CHUNKED_CASES.filter(matches);
if (selected.length === 0 && chunkedSelected.length === 0)
  throw new Error(`no case matches --cases ${values.cases}`);

let databaseUrl = process.env.DATABASE_URL;
const pg = databaseUrl
  ? undefined
  : await startEmbeddedPostgres({ dataDir: path.join(benchDir, 'pg'), database: `bench_${rows}` });
databaseUrl ??= pg!.url;
const aws = await startLocalAws({ buckets: ['bench'] });

try {
  /** The `transactions` cases: seeding, the baselines and the selected cases, in interleaved rounds. */
  const transactionCases = async () => {
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

    interface Sample {
      rows: number;
      seconds: number;
      peakRssMb: number | null;
      bytes: number;
    }

    // Baseline: psql \copy into a file, timed around the whole command.
    const out = path.join(benchDir, 'baseline.csv');
    const hasPsql = spawnSync('psql', ['--version']).status === 0;
    const baselineName = hasPsql
      ? 'baseline psql \\copy → file'
      : 'baseline postgres.js COPY → file (no psql here)';
    const measureBaseline = async (): Promise<Sample> => {
      let sample: Sample;
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
        sample = { rows: n, seconds, peakRssMb: rss === null ? null : Math.round(rss), bytes: 0 };
      } else {
        const started = process.hrtime.bigint();
        const sql2 = postgres(databaseUrl, { max: 1 });
        const file = fs.createWriteStream(out);
        const stream = await sql2.unsafe(`COPY (${QUERY}) TO STDOUT WITH CSV HEADER`).readable();
        for await (const chunk of stream)
          if (!file.write(chunk)) await new Promise<void>((r) => file.once('drain', () => r()));
        await new Promise<void>((r) => file.end(() => r()));
        await sql2.end();
        sample = {
          rows: n,
          seconds: Number(process.hrtime.bigint() - started) / 1e9,
          peakRssMb: null,
          bytes: 0,
        };
      }
      sample.bytes = fs.statSync(out).size;
      fs.rmSync(out);
      return sample;
    };

    const runCase = async (name: string): Promise<Sample | undefined> => {
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
      collectGarbage();
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
        return undefined;
      }
      return JSON.parse(line) as Sample;
    };

    const writesS3 = (name: string) => name.includes('→ s3');
    const pipelineOrWhy = selected.some(writesS3)
      ? s3Pipeline({ databaseUrl, query: QUERY, rows: n, endpoint: aws.endpoint, bucket: 'bench' })
      : undefined;
    const pipeline = pipelineOrWhy && 'measure' in pipelineOrWhy ? pipelineOrWhy : undefined;
    if (pipelineOrWhy && 'unavailable' in pipelineOrWhy)
      log(`no psql | aws s3 cp baseline: ${pipelineOrWhy.unavailable}`);
    if (pipeline) log(`second baseline of the S3 cases: ${pipeline.name} (${pipeline.cliVersion})`);

    // Each round measures the baselines again, right before its cases, and pairs them for the ratios.
    const samples = new Map<string, { sample: Sample; ratio: number; s3Ratio?: number }[]>();
    const record = (name: string, sample: Sample, ratio: number, s3Ratio?: number) =>
      samples.set(name, [
        ...(samples.get(name) ?? []),
        { sample, ratio, ...(s3Ratio !== undefined && { s3Ratio }) },
      ]);
    for (let round = 1; round <= rounds; round++) {
      const baseline = await measureBaseline();
      record(baselineName, baseline, 1);
      const piped = pipeline ? await pipeline.measure() : undefined;
      collectGarbage();
      if (piped) record(pipeline!.name, piped, baseline.seconds / piped.seconds, 1);
      for (const name of selected) {
        const sample = await runCase(name);
        if (sample)
          record(
            name,
            sample,
            baseline.seconds / sample.seconds,
            piped && writesS3(name) ? piped.seconds / sample.seconds : undefined,
          );
      }
      if (rounds > 1) log(`round ${round}/${rounds} done`);
    }

    return {
      pipeline,
      results: [...samples].map(([name, runs]) => {
        const seconds = median(runs.map((r) => r.sample.seconds));
        const peaks = runs.map((r) => r.sample.peakRssMb).filter((p): p is number => p !== null);
        const last = runs.at(-1)!.sample;
        const s3Ratios = runs.map((r) => r.s3Ratio).filter((r): r is number => r !== undefined);
        return {
          case: name,
          runs: runs.length,
          rows: last.rows,
          seconds,
          rowsPerSecond: Math.round(last.rows / seconds),
          ratioToBaseline: median(runs.map((r) => r.ratio)),
          ratioToS3Pipeline: s3Ratios.length ? median(s3Ratios) : null,
          peakRssMb: peaks.length ? Math.max(...peaks) : null,
          bytes: last.bytes,
        };
      }),
    };
  };
  const { results, pipeline } = selected.length
    ? await transactionCases()
    : { results: [], pipeline: undefined };

  const chunked = chunkedSelected.length
    ? await runChunkedBench({
        rows,
        ...(rssRows !== undefined && { rssRows }),
        rounds,
        invocations,
        databaseUrl,
        aws,
        benchDir,
        cases: chunkedSelected,
        log,
      })
    : undefined;

  if (values.json) console.log(JSON.stringify({ rounds, results, chunked }));
  else {
    if (results.length) {
      console.log(
        `\n${'case'.padEnd(34)} ${'rows'.padStart(9)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(10)} ${'ratio'.padStart(6)} ${'vs pipe'.padStart(7)} ${'peak RSS'.padStart(9)} ${'MB out'.padStart(7)}`,
      );
      for (const r of results)
        console.log(
          `${r.case.padEnd(34)} ${String(r.rows).padStart(9)} ${r.seconds.toFixed(2).padStart(8)} ${String(r.rowsPerSecond).padStart(10)} ${r.ratioToBaseline.toFixed(2).padStart(6)} ${(r.ratioToS3Pipeline === null ? '' : r.ratioToS3Pipeline.toFixed(2)).padStart(7)} ${(r.peakRssMb === null ? 'n/a' : `${r.peakRssMb} MB`).padStart(9)} ${(r.bytes / 1e6).toFixed(1).padStart(7)}`,
        );
      console.log(
        `\nratio = baseline seconds / case seconds (higher is faster; 1.00 = as fast as the baseline)${
          rounds > 1 ? `; medians of ${rounds} interleaved rounds, peak RSS the highest` : ''
        }${pipeline ? '\nvs pipe = psql | aws s3 cp seconds / case seconds, for the cases that write to S3' : ''}`,
      );
    }
    const csvToS3 = results.find((r) => r.case === 'engine csv → s3')?.ratioToS3Pipeline;
    if (csvToS3 !== undefined && csvToS3 !== null)
      console.log(
        `CSV to S3: ${csvToS3.toFixed(2)}× the speed of psql | aws s3 cp (${csvToS3 >= 1 ? 'at least as fast' : 'slower'})`,
      );
    if (chunked) printChunked(chunked.tables, chunked.answers, rounds, invocations);
    const size = (name: string) => results.find((r) => r.case === name)?.bytes;
    const parquet = size('engine parquet → s3') ?? size('engine parquet → null');
    const csv = size('engine csv → s3') ?? size('engine csv → null');
    const csvGzip = size('engine csv.gz → s3');
    if (parquet !== undefined && csv !== undefined)
      console.log(
        `parquet file: ${((100 * parquet) / csv).toFixed(0)} % of the CSV${csvGzip ? `, ${((100 * parquet) / csvGzip).toFixed(0)} % of the gzipped CSV` : ''}`,
      );
  }
} finally {
  await aws.stop();
  await pg?.stop();
}
