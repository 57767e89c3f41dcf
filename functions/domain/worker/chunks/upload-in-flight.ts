/**
 * The one part upload (with the checkpoint saved after it) running while the next part is read.
 * Its outcome is recorded when it settles, so a failure is never an unhandled rejection; it
 * surfaces at the writer's next look: `throwIfFailed` or `settle` after a slice, `settle` before
 * the next part is sealed.
 */
export class UploadInFlight<T> {
  private pending: Promise<void> | undefined;
  private outcome: { readonly value: T } | { readonly error: unknown } | undefined;

  /** Starts `upload` in the background; the previous one must have been settled first. */
  start(upload: () => Promise<T>): void {
    if (this.pending) throw new Error('a part upload is already in flight');
    this.outcome = undefined;
    this.pending = upload().then(
      (value) => {
        this.outcome = { value };
      },
      (error: unknown) => {
        this.outcome = { error };
      },
    );
  }

  /** True when an upload was started, has settled, and has not been settled by the writer yet. */
  get finished(): boolean {
    return this.pending !== undefined && this.outcome !== undefined;
  }

  /** Throws the failure of the upload in flight if it has failed already; never waits. */
  throwIfFailed(): void {
    if (this.outcome && 'error' in this.outcome) throw this.outcome.error;
  }

  /** Waits for the upload in flight: its result, its failure thrown, or undefined when none was. */
  async settle(): Promise<T | undefined> {
    if (!this.pending) return undefined;
    await this.pending;
    this.pending = undefined;
    this.throwIfFailed();
    return this.outcome && 'value' in this.outcome ? this.outcome.value : undefined;
  }

  /** Waits for the upload in flight, ignoring its outcome: the writer is failing already. */
  async drain(): Promise<void> {
    await this.pending;
  }
}
