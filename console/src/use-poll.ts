import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api/client';

export interface Polled<T> {
  readonly data: T | undefined;
  readonly error: ApiError | undefined;
  readonly loading: boolean;
  /** Loads again now (after an action such as cancel). */
  readonly reload: () => void;
}

/**
 * Loads `load()` now and again after `interval(data)` milliseconds (null: stop), while the tab is
 * visible, so progress updates without a reload and a hidden tab costs the API nothing. A new
 * `key` starts over. Each answer replaces the last; an error is kept beside the last good data.
 */
export function usePoll<T>(
  key: string,
  load: () => Promise<T>,
  interval: (data: T | undefined) => number | null,
): Polled<T> {
  const [state, setState] = useState<{ key: string; data?: T; error?: ApiError; loading: boolean }>({
    key,
    loading: true,
  });
  const loadRef = useRef(load);
  const intervalRef = useRef(interval);
  loadRef.current = load;
  intervalRef.current = interval;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const run = async () => {
      window.clearTimeout(timer);
      if (document.visibilityState === 'hidden') return;
      let data: T | undefined;
      try {
        data = await loadRef.current();
        if (stopped) return;
        setState({ key, data, loading: false });
      } catch (error) {
        if (stopped) return;
        const apiError = error instanceof ApiError ? error : new ApiError(0, 'client', String(error));
        setState((s) => ({ ...(s.key === key && { data: s.data }), key, error: apiError, loading: false }));
      }
      const next = intervalRef.current(data);
      if (next !== null && !stopped) timer = window.setTimeout(run, next);
    };
    const onVisible = () => {
      if (document.visibilityState === 'visible') void run();
    };
    document.addEventListener('visibilitychange', onVisible);
    void run();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [key, tick]);

  const current: { data?: T; error?: ApiError; loading: boolean } =
    state.key === key ? state : { loading: true };
  return { data: current.data, error: current.error, loading: current.loading, reload };
}
