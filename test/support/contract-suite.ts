import { beforeEach, describe } from 'vitest';

/**
 * Runs one set of cases against every implementation of a port (the fake the unit tests use and
 * the real adapter), so the fake cannot drift from the adapter unseen. Each case gets a fresh
 * subject from the implementation's factory; `cases` receives a stand-in that forwards every
 * property to the subject of the case that is running.
 */
export function describeContract<S extends object>(
  port: string,
  implementations: Readonly<Record<string, () => Promise<S>>>,
  cases: (subject: S) => void,
): void {
  describe.each(Object.entries(implementations))(`${port} contract: %s`, (_name, make) => {
    let current: S | undefined;
    beforeEach(async () => {
      current = await make();
    });
    const subject = new Proxy({} as S, {
      get(_target, property) {
        if (!current) throw new Error(`no ${port} subject outside a running case`);
        return Reflect.get(current, property);
      },
    });
    cases(subject);
  });
}
