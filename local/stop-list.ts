/** How long one piece may take to stop before the next one is stopped regardless. */
const STOP_DEADLINE_MS = 5_000;

/**
 * What the local runtime has started, to be stopped newest first (the gateway before the handlers'
 * connections, those before Postgres). A piece registers itself as soon as it runs, so a start-up
 * that fails halfway stops exactly what it had started. A piece that fails or hangs is reported and
 * the rest are stopped all the same.
 */
export class StopList {
  private readonly entries: { readonly name: string; readonly stop: () => Promise<unknown> }[] = [];

  constructor(private readonly logError: (message: string, error: unknown) => void) {}

  /** Registers `stop` for the piece called `name` (used in the report when it fails). */
  add(name: string, stop: () => Promise<unknown> | unknown): void {
    this.entries.push({ name, stop: async () => stop() });
  }

  /** Stops everything registered so far, newest first; afterwards the list is empty. */
  async stopAll(): Promise<void> {
    const entries = this.entries.splice(0).reverse();
    for (const { name, stop } of entries) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), STOP_DEADLINE_MS);
      });
      try {
        const outcome = await Promise.race([stop().then(() => 'stopped' as const), deadline]);
        if (outcome === 'late')
          this.logError(`could not stop ${name}`, `no answer within ${STOP_DEADLINE_MS} ms`);
      } catch (error) {
        this.logError(`could not stop ${name}`, error);
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
