/**
 * The cases of the chunked benchmark (bench/chunked.ts), all writing `activity_logs` as CSV to the
 * local S3: the two baselines measured in every round, then the cases `--cases` can select.
 */

/** The single-object engine writing the whole table in one stream: what "speedup" is against. */
export const ONE_STREAM = 'chunked one stream (baseline)';
/** The shell pipeline an operator would write instead (bench/s3-pipeline.ts): what "vs pipe" is against. */
export const PIPELINE = 'chunked psql | aws s3 cp (baseline)';
/** The chunk writer over the whole table as one chunk in one invocation: resumption's own baseline. */
export const ONE_CHUNK = 'chunked 1 worker, one chunk';
/** The same one chunk, cut into `--invocations` invocations that each continue its upload. */
export const RESUMED = 'chunked 1 worker, resumed';

/** A `snapshot` job: one worker invocation writing the chunks on parallel readers of one snapshot. */
export const SNAPSHOT = 'chunked snapshot, 1 worker, 4 readers';

/** Every case `--cases` can select, in the order each round runs them. */
export const CHUNKED_CASES = [
  ONE_STREAM,
  'chunked 1 worker',
  'chunked 2 workers',
  'chunked 4 workers',
  SNAPSHOT,
  ONE_CHUNK,
  RESUMED,
] as const;

/** Concurrent worker processes of a case. */
export const workersOf = (name: string): number =>
  name.includes('4 workers') ? 4 : name.includes('2 workers') ? 2 : 1;

/** Readers of a `snapshot` case (`SNAPSHOT_READERS`). */
export const SNAPSHOT_READERS_OF_CASE = 4;

/** The deadline of a worker invocation that is not cut short: Lambda's longest, 15 minutes. */
export const INVOCATION_SECONDS = 15 * 60;
