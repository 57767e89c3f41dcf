import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ExportFormat } from '../../domain/engine/export-format.js';
import type { JobKind } from '../../domain/jobs/export-job.js';
import type { MetricsSink } from '../../domain/metrics-sink.js';

export interface PowertoolsMetricsSinkProps {
  readonly namespace: string;
  readonly serviceName: string;
}

/**
 * The MetricsSink port as CloudWatch EMF through Powertools Metrics. Each event is its own EMF
 * document with the dimensions `service`, `kind` and `format`: one invocation may finish jobs of
 * different kinds and formats, which a shared Metrics instance (one dimension set per flush)
 * could not tell apart.
 */
export class PowertoolsMetricsSink implements MetricsSink {
  constructor(private readonly props: PowertoolsMetricsSinkProps) {}

  exportCompleted(
    kind: JobKind,
    format: ExportFormat,
    durationMs: number,
    rows: number,
    bytes: number,
  ): void {
    this.emit(kind, format, (m) => {
      m.addMetric('ExportsCompleted', MetricUnit.Count, 1);
      m.addMetric('ExportDurationMs', MetricUnit.Milliseconds, durationMs);
      m.addMetric('RowsExported', MetricUnit.Count, rows);
      m.addMetric('BytesWritten', MetricUnit.Bytes, bytes);
    });
  }

  exportFailed(kind: JobKind, format: ExportFormat): void {
    this.emit(kind, format, (m) => m.addMetric('ExportsFailed', MetricUnit.Count, 1));
  }

  chunkOutcome(format: ExportFormat, outcome: 'resumed' | 'failed'): void {
    // Only bulk jobs are split into chunks.
    this.emit('bulk', format, (m) =>
      m.addMetric(outcome === 'resumed' ? 'ChunksResumed' : 'ChunksFailed', MetricUnit.Count, 1),
    );
  }

  private emit(kind: JobKind, format: ExportFormat, add: (metrics: Metrics) => void): void {
    const metrics = new Metrics({ namespace: this.props.namespace, serviceName: this.props.serviceName });
    metrics.addDimension('kind', kind);
    metrics.addDimension('format', format);
    add(metrics);
    metrics.publishStoredMetrics();
  }
}
