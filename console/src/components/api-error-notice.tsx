import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from '../api/client';
import { formatDuration, formatTime } from '../format';

/** Seconds until `until`, ticking each second, floored at 0. */
function useCountdown(until: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return Math.max(0, Math.ceil((until - now) / 1000));
}

/** "Try again in 4 min 10 s (at 14:32:05)", counting down. */
export function RetryAfter({ seconds, since }: { seconds: number; since: number }) {
  const until = since + seconds * 1000;
  const left = useCountdown(until);
  if (left === 0) return <span>You can try again now.</span>;
  return (
    <span>
      You can try again in <strong>{formatDuration(left * 1000)}</strong> (at {formatTime(new Date(until))}).
    </span>
  );
}

/**
 * An API error for people: its message, and for a refusal with `Retry-After` how long to wait.
 * Announced by screen readers as it appears (role="alert").
 */
export function ApiErrorNotice({ error, at }: { error: ApiError; at?: number }) {
  const [shownAt] = useState(at ?? Date.now());
  const title =
    error.status === 429
      ? 'Export limit reached'
      : error.status === 403
        ? 'Not allowed'
        : error.status === 404
          ? 'Not found'
          : error.status === 0
            ? 'Service unreachable'
            : 'The request failed';
  return (
    <div class="notice notice-error" role="alert">
      <strong>{title}.</strong> {error.message}
      {error.retryAfterSeconds !== undefined && (
        <>
          {' '}
          <RetryAfter seconds={error.retryAfterSeconds} since={shownAt} />
        </>
      )}
    </div>
  );
}
