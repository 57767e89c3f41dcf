import { ExportCancelledError, LeaseLostError, TimeBudgetExceededError } from '../../errors.js';
import { errorDetail } from '../../jobs/failure-reasons.js';
import type { WorkerLog } from '../../worker-log.js';
import { Heartbeat } from '../heartbeat.js';
import { settingsOf } from '../job-monitor.js';
import type { ChunkingDeps, ProcessExportJobDeps, ProcessExportJobInput } from '../worker-deps.js';
import { recordChunkedProgress } from './chunked-job.js';
import type { ExportChunk } from './export-chunks.js';

/**
 * Heartbeat and clock of one running chunk: every `heartbeatMs` it writes the chunk's counts and
 * renews its lease (learning of a cancellation, or of a sibling that failed the job), then writes
 * the job's progress from all its chunks. It tells the writer when to stop at a part boundary
 * (`shouldPause`), and aborts the chunk outright only when the invocation is about to end.
 */
export class ChunkMonitor extends Heartbeat {
  private counts = { rows: 0, bytes: 0 };
  private readonly heartbeatMs: number;
  /** Time kept in reserve before the deadline: the configured margin, or a quarter of a short invocation. */
  private readonly marginMs: number;
  private lastPartAt: number;
  private partMs = 0;
  private readonly now: () => number;

  constructor(
    private readonly deps: ProcessExportJobDeps & { readonly chunking: ChunkingDeps },
    private readonly input: ProcessExportJobInput,
    private readonly chunk: ExportChunk,
    private readonly owner: string,
    private readonly log: WorkerLog,
  ) {
    super();
    const settings = settingsOf(deps);
    this.heartbeatMs = settings.heartbeatMs;
    this.marginMs = Math.min(settings.safetyMarginMs, Math.floor(input.remainingTimeMs() / 4));
    this.now = deps.now ?? Date.now;
    this.lastPartAt = this.now();
    this.start(this.heartbeatMs);
  }

  onProgress(counts: { readonly rows: number; readonly bytes: number }): void {
    this.counts = { ...counts };
    this.checkBudget();
  }

  /** A part was stored: the time it took predicts the next one. */
  partStored(): void {
    const now = this.now();
    this.partMs = now - this.lastPartAt;
    this.lastPartAt = now;
  }

  /** True when another part might not be stored before the reserve is reached. */
  shouldPause(): boolean {
    return this.input.remainingTimeMs() - this.marginMs < 2 * this.partMs;
  }

  protected override async beat(): Promise<void> {
    const { chunk } = this;
    try {
      const state = await this.deps.chunking.chunks.heartbeat(
        chunk.jobId,
        chunk.ordinal,
        this.owner,
        this.counts,
        this.deps.settings.leaseSeconds,
      );
      if (!state.held) this.abort(new LeaseLostError());
      else if (state.cancelRequested) this.abort(new ExportCancelledError());
      else await recordChunkedProgress(this.deps, chunk.jobId, this.log);
    } catch (error) {
      // A missed heartbeat is harmless while the lease lasts; the export itself reports real outages.
      this.log.warn('chunk heartbeat failed', {
        jobId: chunk.jobId,
        chunk: chunk.ordinal,
        detail: errorDetail(error),
      });
    }
    this.checkBudget();
  }

  private checkBudget(): void {
    const remaining = this.input.remainingTimeMs();
    if (remaining <= this.marginMs / 2)
      this.abort(
        new TimeBudgetExceededError(`stopped with ${Math.round(remaining / 1000)} s left in the invocation`),
      );
  }
}
