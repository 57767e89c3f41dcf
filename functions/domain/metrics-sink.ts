import type { ExportFormat } from './engine/export-format.js';
import type { JobKind } from './jobs/export-job.js';

/**
 * Port: business metrics of the worker (CloudWatch EMF through Powertools in AWS). Dimensions are
 * the job's kind and format, so dashboards can split by both.
 */
export interface MetricsSink {
  /** One completed export: `ExportsCompleted`, `ExportDurationMs`, `RowsExported`, `BytesWritten`. */
  exportCompleted(kind: JobKind, format: ExportFormat, durationMs: number, rows: number, bytes: number): void;
  /** One export marked failed: `ExportsFailed`. */
  exportFailed(kind: JobKind, format: ExportFormat): void;
  /**
   * One chunk of a large export stopped before its invocation's deadline to continue in the next
   * (`ChunksResumed`), or failed for good, failing its job (`ChunksFailed`).
   */
  chunkOutcome(format: ExportFormat, outcome: 'resumed' | 'failed'): void;
}

/** A sink that records nothing. */
export const NO_METRICS: MetricsSink = Object.freeze({
  exportCompleted() {},
  exportFailed() {},
  chunkOutcome() {},
});
