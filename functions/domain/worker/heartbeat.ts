import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The loop of a running export's or chunk's heartbeat: `beat()` every interval until `stop()`,
 * and the AbortSignal through which the heartbeat stops the work, its reason saying why (the
 * first reason wins). Subclasses say what a beat writes and when the time budget is spent.
 */
export abstract class Heartbeat {
  private readonly controller = new AbortController();
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;

  /** Aborted when the work must stop (lease lost, cancellation, time budget). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the heartbeat stopped the work, if it did. */
  get reason(): unknown {
    return this.controller.signal.aborted ? this.controller.signal.reason : undefined;
  }

  /** Ends the loop; resolves once a beat in flight has finished. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  /** One heartbeat: write progress, renew the lease, check the time budget. */
  protected abstract beat(): Promise<void>;

  /** Starts beating every `intervalMs`; called once by the subclass's constructor, fields set. */
  protected start(intervalMs: number): void {
    this.loop = this.beatUntilStopped(intervalMs);
  }

  protected abort(reason: Error): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  private async beatUntilStopped(intervalMs: number): Promise<void> {
    while (!this.stopper.signal.aborted) {
      try {
        await sleep(intervalMs, undefined, { signal: this.stopper.signal });
      } catch {
        return;
      }
      await this.beat();
    }
  }
}
