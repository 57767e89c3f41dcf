import type { ExportProgress } from '../engine/run-export.js';
import { ExportCancelledError, LeaseLostError, TimeBudgetExceededError } from '../errors.js';
import type { ExportJob, JobProgress } from '../jobs/export-job.js';
import { errorDetail } from '../jobs/failure-reasons.js';
import type { WorkerLog } from '../worker-log.js';
import { Heartbeat } from './heartbeat.js';
import type { ProcessExportJobDeps, ProcessExportJobInput } from './worker-deps.js';

/** The settings with their defaults filled in. */
export function settingsOf(deps: ProcessExportJobDeps) {
  const { settings } = deps;
  return {
    heartbeatMs: settings.heartbeatMs ?? 2_000,
    safetyMarginMs: settings.safetyMarginMs ?? 30_000,
    rateSampleMs: settings.rateSampleMs ?? 2_000,
  };
}

/**
 * Heartbeat of a running export: every `heartbeatMs` it writes the latest progress (monotonic,
 * with an ETA) and renews the lease in one statement, learning whether cancellation was requested;
 * it also watches the time budget. It stops the export through an AbortSignal whose reason says why.
 */
export class JobMonitor extends Heartbeat {
  private latest: ExportProgress | undefined;
  private written: JobProgress | undefined;
  private readonly settings: ReturnType<typeof settingsOf>;
  private readonly now: () => number;

  constructor(
    private readonly deps: ProcessExportJobDeps,
    private readonly input: ProcessExportJobInput,
    private readonly job: ExportJob,
    private readonly owner: string,
    private readonly log: WorkerLog,
    private readonly startedAt: number,
  ) {
    super();
    this.settings = settingsOf(deps);
    this.now = deps.now ?? Date.now;
    this.start(this.settings.heartbeatMs);
  }

  onProgress(progress: ExportProgress): void {
    this.latest = progress;
    this.checkBudget();
  }

  protected override async beat(): Promise<void> {
    const progress = this.progress();
    try {
      const state = await this.deps.leases.recordProgress(
        this.job.id,
        this.owner,
        progress,
        this.deps.settings.leaseSeconds,
      );
      this.written = progress;
      if (!state.held) this.abort(new LeaseLostError());
      else if (state.cancelRequested) this.abort(new ExportCancelledError());
    } catch (error) {
      // A missed heartbeat is harmless while the lease lasts; the export itself reports real outages.
      this.log.warn('progress heartbeat failed', { jobId: this.job.id, detail: errorDetail(error) });
    }
    this.checkBudget();
  }

  /** The latest progress, never below what was already written, with an ETA from the rate so far. */
  private progress(): JobProgress {
    const p = this.latest;
    const before = this.written;
    const rowsTotal = p?.rowsTotal ?? before?.rowsTotal;
    let rowsExported = Math.max(p?.rowsExported ?? 0, before?.rowsExported ?? 0);
    if (rowsTotal !== undefined) rowsExported = Math.min(rowsExported, rowsTotal);
    const elapsed = this.now() - this.startedAt;
    const eta =
      rowsTotal !== undefined && rowsExported > 0 && elapsed > 0
        ? Math.ceil(((rowsTotal - rowsExported) * elapsed) / rowsExported / 1000)
        : undefined;
    return {
      rowsExported,
      bytesWritten: Math.max(p?.bytesWritten ?? 0, before?.bytesWritten ?? 0),
      tablesDone: Math.max(p?.tablesDone ?? 0, before?.tablesDone ?? 0),
      tablesTotal: p?.tablesTotal ?? before?.tablesTotal ?? 0,
      // 100 is written by `complete` only, with the result.
      percent: Math.min(99, Math.max(p?.percent ?? 0, before?.percent ?? 0)),
      ...(rowsTotal !== undefined && { rowsTotal }),
      ...(eta !== undefined && { etaSeconds: eta }),
      ...(p?.chunksTotal !== undefined && { chunksDone: p.chunksDone ?? 0, chunksTotal: p.chunksTotal }),
    };
  }

  private checkBudget(): void {
    if (this.signal.aborted) return;
    const remaining = this.input.remainingTimeMs();
    const margin = this.settings.safetyMarginMs;
    if (remaining <= margin) {
      this.abort(
        new TimeBudgetExceededError(`stopped with ${Math.round(remaining / 1000)} s left in the invocation`),
      );
      return;
    }
    const p = this.latest;
    const elapsed = this.now() - this.startedAt;
    if (!p || elapsed < this.settings.rateSampleMs || p.rowsExported <= 0 || p.rowsExported >= p.rowsTotal)
      return;
    const etaMs = ((p.rowsTotal - p.rowsExported) * elapsed) / p.rowsExported;
    if (etaMs > remaining - margin) {
      const rate = Math.round((p.rowsExported * 1000) / elapsed);
      this.abort(
        new TimeBudgetExceededError(
          `${p.rowsTotal - p.rowsExported} rows left at ${rate} rows/s need ${Math.round(etaMs / 1000)} s, ` +
            `but only ${Math.round((remaining - margin) / 1000)} s remain in this invocation`,
        ),
      );
    }
  }
}
