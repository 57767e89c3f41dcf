import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../../../../functions/domain/catalogue/catalogue.js';
import { MULTIPART_LIMITS } from '../../../../functions/domain/engine/multipart-uploads.js';
import {
  chunkFileName,
  needsChunks,
  partSizeFor,
  planChunks,
} from '../../../../functions/domain/worker/chunks/chunk-plan.js';
import { chunkedProgress, manifestText } from '../../../../functions/domain/worker/chunks/chunked-job.js';
import { jobFixture } from '../../../support/worker-fakes.js';

const logs = CATALOGUE.activity_logs!;
const users = CATALOGUE.users!;
const MiB = 1024 * 1024;

describe('planChunks', () => {
  it('keeps a table at or below CHUNK_ROWS one chunk ending at its maximum key', () => {
    const plan = planChunks(
      [{ table: logs, rows: 1000, keys: { min: '1', max: '1000', histogram: [] } }],
      1000,
    );
    expect(plan).toEqual([
      { ordinal: 1, table: 'activity_logs', part: 1, keyFrom: null, keyTo: '1000', rowsEstimate: 1000 },
    ]);
    expect(
      needsChunks([{ table: logs, rows: 1000, keys: { min: '1', max: '1000', histogram: [] } }], 1000),
    ).toBe(false);
  });

  it('splits an integer key into contiguous ranges of equal width, the last bounded by the maximum', () => {
    const plan = planChunks(
      [{ table: logs, rows: 10_000, keys: { min: '1', max: '10000', histogram: [] } }],
      2_500,
    );
    expect(plan.map((c) => [c.keyFrom, c.keyTo])).toEqual([
      [null, '2500'],
      ['2500', '5000'],
      ['5000', '7500'],
      ['7500', '10000'],
    ]);
    expect(plan.map((c) => c.part)).toEqual([1, 2, 3, 4]);
  });

  it('takes equal-row boundaries from the planner histogram when the keys are skewed', () => {
    const histogram = ['1', '2', '3', '4', '5', '6', '7', '8', '1000000'];
    const plan = planChunks([{ table: logs, rows: 900, keys: { min: '1', max: '1000000', histogram } }], 300);
    expect(plan.map((c) => c.keyTo)).toEqual(['4', '6', '1000000']);
  });

  it('leaves a uuid key without statistics one chunk, and an empty table one chunk ending nowhere', () => {
    const plan = planChunks(
      [
        { table: users, rows: 50, keys: { min: null, max: null, histogram: [] } },
        { table: users, rows: 9_000, keys: { min: '0a', max: 'ff', histogram: [] } },
      ],
      100,
    );
    expect(plan.map((c) => [c.ordinal, c.keyFrom, c.keyTo])).toEqual([
      [1, null, null],
      [2, null, 'ff'],
    ]);
  });
});

describe('partSizeFor', () => {
  it('is at least 5 MiB and grows with the estimate so that half the part numbers hold it', () => {
    expect(partSizeFor(1000, 1)).toBe(MULTIPART_LIMITS.minPartBytes);
    const rows = 1_000_000_000;
    expect(partSizeFor(rows, 1) * (MULTIPART_LIMITS.maxParts / 2)).toBeGreaterThanOrEqual(rows * 1024);
  });

  it('doubles every 2,000 parts so that a file far above its estimate still fits in 10,000 parts', () => {
    expect(partSizeFor(0, 2_001)).toBe(2 * partSizeFor(0, 1));
    let capacity = 0;
    for (let n = 1; n <= MULTIPART_LIMITS.maxParts; n++) capacity += partSizeFor(0, n);
    expect(capacity).toBeGreaterThan(300 * 1024 * MiB);
  });
});

describe('chunk files, progress and manifest', () => {
  it('names part files by table and number', () => {
    expect(chunkFileName('activity_logs', 12, 'csv.gz')).toBe('activity_logs/part-00012.csv.gz');
  });

  it('reports percent and ETA from rows against the estimate, and 100 only when every chunk is done', () => {
    const plannedAt = new Date(0);
    const running = chunkedProgress(
      {
        chunksTotal: 4,
        chunksDone: 1,
        tablesTotal: 1,
        tablesDone: 0,
        rowsExported: 250,
        bytesWritten: 9,
        rowsEstimate: 1000,
        plannedAt,
      },
      10_000,
    );
    expect(running).toMatchObject({ percent: 25, etaSeconds: 30, chunksDone: 1, chunksTotal: 4 });
    const done = chunkedProgress(
      {
        chunksTotal: 4,
        chunksDone: 4,
        tablesTotal: 1,
        tablesDone: 1,
        rowsExported: 1010,
        bytesWritten: 9,
        rowsEstimate: 1000,
        plannedAt,
      },
      20_000,
    );
    expect(done).toMatchObject({ percent: 100, etaSeconds: 0, rowsTotal: 1010 });
  });

  it('writes a manifest with one line per file, the consistency mode and the totals', () => {
    const job = jobFixture({ format: 'csv', compression: 'gzip' });
    const file = (n: number) => ({
      name: `users/part-0000${n}.csv.gz`,
      key: `exports/${job.id}/users/part-0000${n}.csv.gz`,
      table: 'users',
      rows: 10 * n,
      bytes: 100 * n,
      sha256: 'ab'.repeat(32),
      contentType: 'application/gzip',
      keyRange: { from: n === 1 ? null : '5', to: n === 1 ? '5' : '9' },
    });
    const text = manifestText(job, [file(1), file(2)], '2024-05-01T00:00:00.000Z', 'chunked');
    const manifest = JSON.parse(text);
    expect(manifest).toMatchObject({
      jobId: job.id,
      format: 'csv',
      compression: 'gzip',
      asOf: '2024-05-01T00:00:00.000Z',
      consistency: 'chunked',
      totals: { rows: 30, bytes: 300 },
    });
    expect(manifest.files[1]).toEqual({
      name: 'users/part-00002.csv.gz',
      key: `exports/${job.id}/users/part-00002.csv.gz`,
      table: 'users',
      rows: 20,
      bytes: 200,
      sha256: 'ab'.repeat(32),
      keyRange: { from: '5', to: '9' },
    });
    expect(text.split('\n').filter((line) => line.includes('"sha256"'))).toHaveLength(2);
  });
});
