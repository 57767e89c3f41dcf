/** A per-user sliding window: at most `max` export-creating requests in any `windowSeconds`. */
export interface RateLimitPolicy {
  readonly max: number;
  readonly windowSeconds: number;
}

/** Where a user stands in the window. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  readonly windowSeconds: number;
  /** When the full allowance is back: the newest counted request leaves the window (now when none). */
  readonly resetAt: Date;
  /** When at least one more request is allowed (now when `remaining > 0`). */
  readonly nextAvailableAt: Date;
  /** Whole seconds until `nextAvailableAt`: at least 1 when no slot is left, else 0. */
  readonly retryAfterSeconds: number;
}

export interface RateLimitDecision extends RateLimitState {
  readonly allowed: boolean;
}

/**
 * Port: the per-user window on requests that create exports (user, bulk and schedule runs).
 * Implementations are shared by every instance of the API and race-free: two concurrent requests
 * never both take the last slot.
 */
export interface RateLimiter {
  /** Counts one request when a slot is free; refuses (and counts nothing) otherwise. */
  consume(userId: string): Promise<RateLimitDecision>;
  /** Reads the state without counting anything (`GET /limits`). */
  peek(userId: string): Promise<RateLimitState>;
}

/**
 * The state of a window given the request times inside it (`times` in any order, each newer than
 * `now − window`). A request made at `t` counts until `t + window`, exclusive.
 */
export function windowState(policy: RateLimitPolicy, now: Date, times: readonly Date[]): RateLimitState {
  const sorted = [...times].map((t) => t.getTime()).sort((a, b) => a - b);
  const windowMs = policy.windowSeconds * 1000;
  const remaining = Math.max(0, policy.max - sorted.length);
  const newest = sorted[sorted.length - 1];
  // With `remaining` 0, the (count − max + 1)-th oldest request must expire before another fits.
  const blocking = sorted[sorted.length - policy.max];
  const nextAvailableAt = remaining > 0 || blocking === undefined ? now.getTime() : blocking + windowMs;
  return {
    limit: policy.max,
    remaining,
    windowSeconds: policy.windowSeconds,
    resetAt: new Date(newest === undefined ? now.getTime() : newest + windowMs),
    nextAvailableAt: new Date(nextAvailableAt),
    retryAfterSeconds: remaining > 0 ? 0 : Math.max(1, Math.ceil((nextAvailableAt - now.getTime()) / 1000)),
  };
}

/** The decision for a request at `now` given the times already counted in the window. */
export function decide(policy: RateLimitPolicy, now: Date, times: readonly Date[]): RateLimitDecision {
  const before = windowState(policy, now, times);
  if (before.remaining === 0) return { ...before, allowed: false };
  return { ...windowState(policy, now, [...times, now]), allowed: true, retryAfterSeconds: 0 };
}
