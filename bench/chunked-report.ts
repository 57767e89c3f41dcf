/**
 * The chunked benchmark's figures from its rounds: per case the medians, and the answers to its
 * questions (parallel speedup, resumption overhead, CSV to S3 against `psql | aws s3 cp`, peak RSS
 * per worker at two table sizes), every ratio the median of per-round ratios, each round's case
 * against that round's baseline, so load that changes during a run skews both sides alike.
 */
import { CHUNKED_CASES, ONE_CHUNK, ONE_STREAM, PIPELINE, RESUMED } from './chunked-cases.js';
import { median } from './median.js';

/** One run of one case. */
export interface ChunkedSample {
  readonly seconds: number;
  readonly rows: number;
  readonly bytes: number;
  /** The highest peak RSS of the case's processes (each worker's own). */
  readonly peakRssMb: number | null;
  /** CPU seconds (user + system) of the case's exporting processes together; not the database's or S3's. */
  readonly cpuSeconds?: number | null;
  /** Chunk invocations (a continuation counts as one more); 1 for the one-object cases. */
  readonly invocations: number | null;
}

/** Per case, its sample of each round, by round index (missing where the case failed). */
export type ChunkedRounds = ReadonlyMap<string, readonly (ChunkedSample | undefined)[]>;

export interface ChunkedResult {
  readonly case: string;
  readonly runs: number;
  readonly rows: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  /** One stream's seconds / this case's seconds. */
  readonly speedup: number | null;
  /** `psql | aws s3 cp` seconds / this case's seconds. */
  readonly vsPipe: number | null;
  readonly peakRssMbPerWorker: number | null;
  /** Median CPU seconds of the exporting processes, per million rows. */
  readonly cpuSecondsPerMillionRows: number | null;
  /** The distinct counts of invocations over the rounds. */
  readonly invocations: readonly number[];
}

/** The figures of one table size. */
export interface ChunkedTable {
  readonly rows: number;
  readonly results: readonly ChunkedResult[];
}

/** The benchmark's questions, answered at the main size (`rssRows` only for memory). */
export interface ChunkedAnswers {
  readonly rows: number;
  /** Speedup of 2 workers against one stream. */
  readonly twoWorkers: number | null;
  /** How much slower (0.03 = 3 %) the resumed chunk was than each baseline. */
  readonly resumption: {
    readonly invocations: readonly number[];
    readonly vsOneStream: number | null;
    readonly vsOneChunk: number | null;
    readonly vsOneWorker: number | null;
  } | null;
  readonly vsPipe: readonly { readonly case: string; readonly ratio: number }[];
  readonly rss: {
    readonly rssRows: number;
    readonly cases: readonly { readonly case: string; readonly small: number; readonly large: number }[];
  } | null;
}

/** Median over the rounds that have both of `f(a, b)`; null when none has. */
function paired(
  rounds: ChunkedRounds,
  a: string,
  b: string,
  f: (a: ChunkedSample, b: ChunkedSample) => number,
): number | null {
  const as = rounds.get(a) ?? [];
  const bs = rounds.get(b) ?? [];
  const values: number[] = [];
  as.forEach((x, i) => {
    const y = bs[i];
    if (x && y) values.push(f(x, y));
  });
  return values.length ? median(values) : null;
}

const faster = (rounds: ChunkedRounds, name: string, than: string) =>
  paired(rounds, name, than, (x, y) => y.seconds / x.seconds);
const slower = (rounds: ChunkedRounds, name: string, than: string) => {
  const ratio = paired(rounds, name, than, (x, y) => x.seconds / y.seconds);
  return ratio === null ? null : ratio - 1;
};

function cpuPerMillion(runs: readonly ChunkedSample[]): number | null {
  const values = runs.flatMap((r) =>
    r.cpuSeconds != null && r.rows > 0 ? [(r.cpuSeconds * 1e6) / r.rows] : [],
  );
  return values.length ? median(values) : null;
}

/** The medians of each case of one table size, the baselines first. */
export function chunkedTable(rows: number, rounds: ChunkedRounds): ChunkedTable {
  const order = [PIPELINE, ...CHUNKED_CASES].filter((name) => rounds.has(name));
  const results = order.flatMap((name): ChunkedResult[] => {
    const runs = rounds.get(name)!.filter((s): s is ChunkedSample => s !== undefined);
    if (runs.length === 0) return [];
    const seconds = median(runs.map((r) => r.seconds));
    const peaks = runs.map((r) => r.peakRssMb).filter((p): p is number => p !== null);
    const last = runs.at(-1)!;
    return [
      {
        case: name,
        runs: runs.length,
        rows: last.rows,
        seconds,
        rowsPerSecond: Math.round(last.rows / seconds),
        speedup: faster(rounds, name, ONE_STREAM),
        vsPipe: faster(rounds, name, PIPELINE),
        peakRssMbPerWorker: peaks.length ? Math.max(...peaks) : null,
        cpuSecondsPerMillionRows: cpuPerMillion(runs),
        invocations: [...new Set(runs.map((r) => r.invocations).filter((n): n is number => n !== null))].sort(
          (x, y) => x - y,
        ),
      },
    ];
  });
  return { rows, results };
}

/**
 * The answers from the main size's table and rounds, with peak RSS per worker compared against a
 * second size's table when that ran too.
 */
export function chunkedAnswers(
  large: ChunkedTable,
  rounds: ChunkedRounds,
  small?: ChunkedTable,
): ChunkedAnswers {
  const { rows } = large;
  const resumed = large.results.find((r) => r.case === RESUMED);
  return {
    rows,
    twoWorkers: faster(rounds, 'chunked 2 workers', ONE_STREAM),
    resumption: resumed
      ? {
          invocations: resumed.invocations,
          vsOneStream: slower(rounds, RESUMED, ONE_STREAM),
          vsOneChunk: slower(rounds, RESUMED, ONE_CHUNK),
          vsOneWorker: slower(rounds, RESUMED, 'chunked 1 worker'),
        }
      : null,
    vsPipe: large.results.flatMap((r) =>
      r.case !== PIPELINE && r.vsPipe !== null ? [{ case: r.case, ratio: r.vsPipe }] : [],
    ),
    rss: small
      ? {
          rssRows: small.rows,
          cases: large.results.flatMap((r) => {
            const s = small.results.find((x) => x.case === r.case)?.peakRssMbPerWorker;
            return r.case !== PIPELINE && s != null && r.peakRssMbPerWorker !== null
              ? [{ case: r.case, small: s, large: r.peakRssMbPerWorker }]
              : [];
          }),
        }
      : null,
  };
}

const fixed = (n: number | null, digits = 2) => (n === null ? '' : n.toFixed(digits));
/** A slowdown as words: 0.031 → "3.1 % slower", -0.02 → "2.0 % faster". */
const slowerText = (n: number | null) =>
  n === null ? 'n/a' : `${Math.abs(100 * n).toFixed(1)} % ${n < 0 ? 'faster' : 'slower'}`;
const count = (n: number) => n.toLocaleString('en-US');

/** The tables (the main size first) and the answers, as text. */
export function printChunked(
  tables: readonly ChunkedTable[],
  answers: ChunkedAnswers,
  rounds: number,
  invocations: number,
): void {
  for (const table of tables) {
    console.log(
      `\n${`chunked, ${count(table.rows)} rows`.padEnd(38)} ${'seconds'.padStart(8)} ${'rows/s'.padStart(10)} ${'speedup'.padStart(8)} ${'vs pipe'.padStart(8)} ${'RSS/worker'.padStart(11)} ${'CPU s/1M'.padStart(9)} ${'invocations'.padStart(11)}`,
    );
    for (const r of table.results)
      console.log(
        `${r.case.padEnd(38)} ${r.seconds.toFixed(2).padStart(8)} ${String(r.rowsPerSecond).padStart(10)} ${fixed(r.speedup).padStart(8)} ${fixed(r.vsPipe).padStart(8)} ${(r.peakRssMbPerWorker === null ? 'n/a' : `${r.peakRssMbPerWorker} MB`).padStart(11)} ${fixed(r.cpuSecondsPerMillionRows).padStart(9)} ${r.invocations.join('/').padStart(11)}`,
      );
  }
  console.log(
    `\nspeedup = one stream's seconds / case seconds; vs pipe = psql | aws s3 cp seconds / case seconds; each the median over ${rounds} interleaved round(s) of the ratio within a round; RSS/worker the highest; CPU s/1M = CPU seconds of the exporting processes (all workers; psql and aws for the pipeline; not Postgres or the S3 emulator) per million rows, median`,
  );
  const goal = (met: boolean) => (met ? 'met' : 'not met');
  console.log(`\nAt ${count(answers.rows)} rows:`);
  if (answers.twoWorkers !== null)
    console.log(
      `- 2 workers against one stream: ${answers.twoWorkers.toFixed(2)}× (goal ≥ 1.40: ${goal(answers.twoWorkers >= 1.4)})`,
    );
  const r = answers.resumption;
  if (r) {
    console.log(
      `- resumption, one chunk through ${r.invocations.join('/') || '?'} invocations (--invocations ${invocations}): ${slowerText(r.vsOneStream)} than one stream (goal ≤ 5 %: ${r.vsOneStream === null ? 'n/a' : goal(r.vsOneStream <= 0.05)})`,
    );
    console.log(
      `  resumption alone: ${slowerText(r.vsOneChunk)} than the same chunk in one invocation; ${slowerText(r.vsOneWorker)} than chunked 1 worker`,
    );
  }
  if (answers.vsPipe.length)
    console.log(
      `- CSV to S3 against psql | aws s3 cp (goal ≥ 1.00): ${answers.vsPipe
        .map((p) => `${p.case.replace(/^chunked /, '')} ${p.ratio.toFixed(2)}`)
        .join(', ')}`,
    );
  if (answers.rss)
    console.log(
      `- peak RSS per worker, ${count(answers.rss.rssRows)} → ${count(answers.rows)} rows: ${answers.rss.cases
        .map((c) => `${c.case.replace(/^chunked /, '')} ${c.small} → ${c.large} MB`)
        .join(', ')}`,
    );
}
