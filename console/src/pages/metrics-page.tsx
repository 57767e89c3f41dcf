import type { ChartConfiguration } from 'chart.js';
import { useMemo, useState } from 'preact/hooks';
import { api, call } from '../api/client';
import type { Metrics, MetricsBucket } from '../api/types';
import { ChartCanvas } from '../charts/chart-canvas';
import {
  bucketStarts,
  METRICS_RANGES,
  type MetricsRange,
  rangeEnd,
  type SeriesBucket,
  seriesFromCumulative,
} from '../charts/metrics-series';
import { ApiErrorNotice } from '../components/api-error-notice';
import { formatBytes, formatCount, formatDuration } from '../format';
import { usePoll } from '../use-poll';

/** Colours with at least 4.5:1 contrast on white, one per status. */
const STATUS_COLOURS = {
  succeeded: '#1a7f37',
  failed: '#cf222e',
  cancelled: '#6e7781',
  processing: '#0969da',
  queued: '#9a6700',
} as const;
const STATUSES = Object.keys(STATUS_COLOURS) as (keyof typeof STATUS_COLOURS)[];

interface Loaded {
  readonly range: MetricsRange;
  readonly series: SeriesBucket[];
  /** Everything since the range's start: the totals and the durations. */
  readonly whole: Metrics;
}

async function loadMetrics(range: MetricsRange): Promise<Loaded> {
  const end = rangeEnd(range, new Date());
  const starts = bucketStarts(range, end);
  const answers = await Promise.all(
    starts.map((start) => call(api.GET('/metrics', { params: { query: { since: start.toISOString() } } }))),
  );
  return { range, series: seriesFromCumulative(starts, answers, end), whole: answers[0]! };
}

const HOURS = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const DAYS = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** `20:00–00:00` for hours, `Nov 29` for one day, `Nov 1–Nov 5` for several. */
function bucketLabel(bucket: SeriesBucket, range: MetricsRange): string {
  if (range.align === 'hour') return `${HOURS.format(bucket.start)}–${HOURS.format(bucket.end)}`;
  const lastDay = new Date(bucket.end.getTime() - 1);
  return lastDay.toDateString() === bucket.start.toDateString()
    ? DAYS.format(bucket.start)
    : `${DAYS.format(bucket.start)}–${DAYS.format(lastDay)}`;
}

/** Durations in ms while they are short, else in seconds, so the bars stay readable. */
function durationUnit(groups: readonly MetricsBucket[]): {
  label: string;
  value: (ms: number | null) => number | null;
} {
  const longest = Math.max(0, ...groups.map((b) => b.durationMs.p95 ?? 0));
  return longest < 2000
    ? { label: 'milliseconds', value: (ms) => (ms === null ? null : Math.round(ms)) }
    : { label: 'seconds', value: (ms) => (ms === null ? null : Math.round(ms / 100) / 10) };
}

/**
 * Metrics for admins: exports by status over time, rows and bytes over time, and duration
 * p50/p95 by kind, for a chosen range. Refreshes every minute.
 */
export function MetricsPage() {
  const [rangeId, setRangeId] = useState(METRICS_RANGES[0]!.id);
  const range = METRICS_RANGES.find((r) => r.id === rangeId) ?? METRICS_RANGES[0]!;
  const metrics = usePoll(
    `metrics:${range.id}`,
    () => loadMetrics(range),
    () => 60_000,
  );
  return (
    <section aria-labelledby="metrics-title">
      <div class="page-head">
        <h1 id="metrics-title">Metrics</h1>
        <label>
          Range{' '}
          <select value={rangeId} onChange={(event) => setRangeId(event.currentTarget.value)}>
            {METRICS_RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {metrics.error && <ApiErrorNotice error={metrics.error} />}
      {metrics.data ? <MetricsView loaded={metrics.data} /> : <p aria-busy="true">Loading…</p>}
    </section>
  );
}

function MetricsView({ loaded }: { loaded: Loaded }) {
  const { range, series, whole } = loaded;
  const labels = series.map((bucket) => bucketLabel(bucket, range));
  const statusChart = useMemo<ChartConfiguration>(
    () => ({
      type: 'bar',
      data: {
        labels,
        datasets: STATUSES.map((status) => ({
          label: status,
          data: series.map((bucket) => bucket[status]),
          backgroundColor: STATUS_COLOURS[status],
        })),
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      },
    }),
    [loaded],
  );
  const volumeChart = useMemo<ChartConfiguration>(
    () => ({
      type: 'bar',
      data: {
        labels,
        datasets: [
          {
            type: 'bar',
            label: 'rows',
            data: series.map((b) => b.rows),
            backgroundColor: '#0969da',
            yAxisID: 'rows',
          },
          {
            type: 'line',
            label: 'bytes',
            data: series.map((b) => b.bytes),
            borderColor: '#8250df',
            backgroundColor: '#8250df',
            yAxisID: 'bytes',
          },
        ],
      },
      options: {
        scales: {
          rows: {
            type: 'linear',
            position: 'left',
            beginAtZero: true,
            title: { display: true, text: 'rows' },
          },
          bytes: {
            type: 'linear',
            position: 'right',
            beginAtZero: true,
            grid: { drawOnChartArea: false },
            title: { display: true, text: 'bytes' },
            ticks: { precision: 0, callback: (value) => formatBytes(Number(value)) },
          },
        },
      },
    }),
    [loaded],
  );
  const groups: [string, MetricsBucket][] = [['all', whole], ...Object.entries(whole.byKind)];
  const unit = durationUnit(groups.map(([, bucket]) => bucket));
  const durationChart = useMemo<ChartConfiguration>(
    () => ({
      type: 'bar',
      data: {
        labels: groups.map(([name]) => name),
        datasets: [
          {
            label: 'p50',
            data: groups.map(([, b]) => unit.value(b.durationMs.p50)),
            backgroundColor: '#0969da',
          },
          {
            label: 'p95',
            data: groups.map(([, b]) => unit.value(b.durationMs.p95)),
            backgroundColor: '#bc4c00',
          },
        ],
      },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: unit.label } } } },
    }),
    [loaded],
  );

  return (
    <>
      <dl class="tiles">
        <Tile label="Exports" value={formatCount(whole.total)} />
        <Tile label="Succeeded" value={formatCount(whole.succeeded)} />
        <Tile label="Failed" value={formatCount(whole.failed)} />
        <Tile label="Cancelled" value={formatCount(whole.cancelled)} />
        <Tile label="Duration p50 / p95" value={durationPair(whole)} />
        <Tile label="Rows" value={formatCount(whole.rows)} />
        <Tile label="Bytes" value={formatBytes(whole.bytes)} />
      </dl>
      <div class="charts">
        <div>
          <h2>Exports by status</h2>
          <ChartCanvas
            config={statusChart}
            label={`Stacked bars: exports created per period by status, ${range.label.toLowerCase()}; ${whole.total} in all.`}
            table={
              <SeriesTable
                labels={labels}
                series={series}
                columns={STATUSES}
                format={formatCount}
                caption="Exports by status"
              />
            }
          />
        </div>
        <div>
          <h2>Rows and bytes</h2>
          <ChartCanvas
            config={volumeChart}
            label={`Rows (bars) and bytes (line) exported per period, ${range.label.toLowerCase()}: ${formatCount(whole.rows)} rows, ${formatBytes(whole.bytes)}.`}
            table={
              <SeriesTable
                labels={labels}
                series={series}
                columns={['rows', 'bytes']}
                format={formatCount}
                caption="Rows and bytes"
              />
            }
          />
        </div>
        <div>
          <h2>Duration by kind</h2>
          <ChartCanvas
            config={durationChart}
            label={`Bars: median (p50) and 95th percentile duration in ${unit.label}, overall and per kind: overall ${durationPair(whole)}.`}
            table={
              <table class="table narrow">
                <caption>Duration by kind</caption>
                <thead>
                  <tr>
                    <th scope="col">Kind</th>
                    <th scope="col">p50</th>
                    <th scope="col">p95</th>
                    <th scope="col">Exports</th>
                  </tr>
                </thead>
                <tbody>
                  {groups.map(([name, bucket]) => (
                    <tr key={name}>
                      <th scope="row">{name}</th>
                      <td>{bucket.durationMs.p50 === null ? '—' : formatDuration(bucket.durationMs.p50)}</td>
                      <td>{bucket.durationMs.p95 === null ? '—' : formatDuration(bucket.durationMs.p95)}</td>
                      <td>{formatCount(bucket.total)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            }
          />
        </div>
      </div>
    </>
  );
}

function durationPair(bucket: MetricsBucket): string {
  const { p50, p95 } = bucket.durationMs;
  return p50 === null || p95 === null ? '—' : `${formatDuration(p50)} / ${formatDuration(p95)}`;
}

function Tile({ label, value }: { label: string; value: string }) {
  return (
    <div class="tile">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function SeriesTable({
  labels,
  series,
  columns,
  format,
  caption,
}: {
  labels: string[];
  series: SeriesBucket[];
  columns: readonly (keyof SeriesBucket & string)[];
  format: (value: number) => string;
  caption: string;
}) {
  return (
    <table class="table narrow">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Period</th>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {series.map((bucket, i) => (
          <tr key={bucket.start.toISOString()}>
            <th scope="row">{labels[i]}</th>
            {columns.map((column) => (
              <td key={column}>{format(bucket[column] as number)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
