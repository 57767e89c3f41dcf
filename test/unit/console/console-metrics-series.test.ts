import { describe, expect, it } from 'vitest';
import {
  bucketStarts,
  type CumulativeMetrics,
  METRICS_RANGES,
  rangeEnd,
  seriesFromCumulative,
} from '../../../console/src/charts/metrics-series.js';

/** The additive figures of a `GET /metrics` answer. */
function answer(
  figures: Partial<Record<'succeeded' | 'failed' | 'cancelled' | 'rows' | 'bytes', number>>,
): CumulativeMetrics {
  const { succeeded = 0, failed = 0, cancelled = 0, rows = 0, bytes = 0 } = figures;
  return { succeeded, failed, cancelled, queued: 0, processing: 0, rows, bytes };
}

const day = METRICS_RANGES.find((range) => range.id === '24h')!;

describe('console metrics series', () => {
  it('ends the range on the next whole hour and splits it into equal buckets', () => {
    const end = rangeEnd(day, new Date('2026-11-30T10:17:42Z'));
    const starts = bucketStarts(day, end);

    expect(end.getUTCMinutes()).toBe(0);
    expect(end.getTime() - Date.parse('2026-11-30T10:17:42Z')).toBeLessThanOrEqual(3600_000);
    expect(starts).toHaveLength(6);
    expect(end.getTime() - starts[0]!.getTime()).toBe(24 * 3600_000);
    expect(starts[1]!.getTime() - starts[0]!.getTime()).toBe(4 * 3600_000);
  });

  it('turns answers counted "since each bucket start" into what each bucket holds', () => {
    const end = new Date('2026-11-30T12:00:00Z');
    const starts = bucketStarts(day, end);
    const since = [
      answer({ succeeded: 9, failed: 2, rows: 900, bytes: 9000 }),
      answer({ succeeded: 7, failed: 2, rows: 700, bytes: 7000 }),
      answer({ succeeded: 7, failed: 1, rows: 650, bytes: 6000 }),
      answer({ succeeded: 4, rows: 400, bytes: 4000 }),
      answer({ succeeded: 1, rows: 100, bytes: 1000 }),
      answer({}),
    ];

    const series = seriesFromCumulative(starts, since, end);

    expect(series.map((b) => b.succeeded)).toEqual([2, 0, 3, 3, 1, 0]);
    expect(series.map((b) => b.failed)).toEqual([0, 1, 1, 0, 0, 0]);
    expect(series.map((b) => b.rows)).toEqual([200, 50, 250, 300, 100, 0]);
    expect(series.at(-1)?.end).toEqual(end);
    expect(series[0]?.end).toEqual(starts[1]);
  });

  it('shows a bucket as zero, not negative, when a job changed state between two answers', () => {
    const end = new Date('2026-11-30T12:00:00Z');
    const starts = bucketStarts(day, end);
    // Read first: 1 processing job; read a moment later: it has succeeded.
    const since = [answer({}), answer({ succeeded: 1 }), answer({}), answer({}), answer({}), answer({})];

    const series = seriesFromCumulative(starts, since, end);

    expect(series[0]?.succeeded).toBe(0);
    expect(series[1]?.succeeded).toBe(1);
  });
});
