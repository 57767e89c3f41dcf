/**
 * Time series from `GET /metrics?since=`, which counts the jobs created since a moment. Asked at
 * each bucket's start, the difference of two neighbouring answers is what was created within that
 * bucket: exact for the additive figures (counts, rows, bytes). Percentiles do not subtract, so
 * durations are shown for the whole range, by kind and format, as the API gives them.
 */

export interface MetricsRange {
  readonly id: string;
  readonly label: string;
  readonly spanMs: number;
  readonly buckets: number;
  /** Buckets end on a whole hour or a whole (local) day, so their labels read naturally. */
  readonly align: 'hour' | 'day';
}

const HOUR = 3600_000;
export const METRICS_RANGES: readonly MetricsRange[] = [
  { id: '24h', label: 'Last 24 hours', spanMs: 24 * HOUR, buckets: 6, align: 'hour' },
  { id: '7d', label: 'Last 7 days', spanMs: 7 * 24 * HOUR, buckets: 7, align: 'day' },
  { id: '30d', label: 'Last 30 days', spanMs: 30 * 24 * HOUR, buckets: 6, align: 'day' },
];

/** The additive figures of a bucket of the series. */
export const SERIES_FIELDS = [
  'succeeded',
  'failed',
  'cancelled',
  'processing',
  'queued',
  'rows',
  'bytes',
] as const;
export type SeriesField = (typeof SERIES_FIELDS)[number];

/** What the series needs of a `GET /metrics` answer (structurally, so this module imports nothing). */
export type CumulativeMetrics = Readonly<Record<SeriesField, number>>;

export interface SeriesBucket extends Readonly<Record<SeriesField, number>> {
  readonly start: Date;
  readonly end: Date;
}

/** Where the last bucket of `range` ends: the next whole hour or local midnight after `now`. */
export function rangeEnd(range: MetricsRange, now: Date): Date {
  const end = new Date(now);
  if (range.align === 'hour') end.setMinutes(0, 0, 0);
  else end.setHours(0, 0, 0, 0);
  if (range.align === 'hour') end.setHours(end.getHours() + 1);
  else end.setDate(end.getDate() + 1);
  return end;
}

/** The start of each bucket of `range` (oldest first), the last one ending at `end`. */
export function bucketStarts(range: MetricsRange, end: Date): Date[] {
  const width = range.spanMs / range.buckets;
  return Array.from({ length: range.buckets }, (_, i) => new Date(end.getTime() - range.spanMs + i * width));
}

/**
 * Buckets from the cumulative answers `since[i]` = metrics since `starts[i]`. The answers are read
 * moments apart while jobs keep changing state, so a difference can dip below zero by a job or
 * two; it is shown as zero rather than as a negative count.
 */
export function seriesFromCumulative(
  starts: readonly Date[],
  since: readonly CumulativeMetrics[],
  end: Date,
): SeriesBucket[] {
  return starts.map((start, i) => {
    const here = since[i];
    const next = since[i + 1];
    const value = (field: SeriesField) => Math.max(0, (here?.[field] ?? 0) - (next?.[field] ?? 0));
    return {
      start,
      end: starts[i + 1] ?? end,
      ...(Object.fromEntries(SERIES_FIELDS.map((f) => [f, value(f)])) as Record<SeriesField, number>),
    };
  });
}
