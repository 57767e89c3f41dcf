import { useEffect } from 'preact/hooks';
import { api, call } from '../api/client';
import type { Limits } from '../api/types';
import { formatTime } from '../format';
import { usePoll } from '../use-poll';

const LIMITS_CHANGED = 'data-export-console:limits-changed';

/** Tells the quota display that an export was requested (or refused), so it reloads now. */
export function limitsChanged(): void {
  window.dispatchEvent(new Event(LIMITS_CHANGED));
}

/**
 * The caller's export-request window from `GET /limits`: how many requests are left and, when
 * none are, when the next one is possible. Reloads every 30 s and after each export request.
 */
export function Quota() {
  const { data: limits, reload } = usePoll<Limits>(
    'limits',
    () => call(api.GET('/limits')),
    () => 30_000,
  );
  useEffect(() => {
    window.addEventListener(LIMITS_CHANGED, reload);
    return () => window.removeEventListener(LIMITS_CHANGED, reload);
  }, [reload]);
  if (!limits) return <span class="quota" />;
  const exhausted = limits.remaining === 0;
  return (
    <span class={`quota ${exhausted ? 'quota-exhausted' : ''}`} data-testid="quota">
      {limits.remaining} of {limits.limit} export requests left
      {exhausted && <> · next at {formatTime(new Date(limits.nextAvailableAt))}</>}
    </span>
  );
}
