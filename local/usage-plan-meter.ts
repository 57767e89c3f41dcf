/** A usage plan's limits, applied per API key. */
export interface UsagePlanLimits {
  /** Steady-state requests per second (token refill rate). */
  readonly rateLimit: number;
  /** Bucket size. */
  readonly burstLimit: number;
  /** Requests per UTC day; unlimited when absent. */
  readonly quotaPerDay?: number;
}

/** Why the plan refused a request: API Gateway answers both with 429, in different words. */
export type UsagePlanRefusal = 'throttled' | 'quotaExceeded';

/**
 * API Gateway's usage plan in memory: a token bucket per API key (refilled at `rateLimit` per
 * second up to `burstLimit`) and a count per key and UTC day against `quotaPerDay`. A throttled
 * request does not count against the quota.
 */
export class UsagePlanMeter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly quotas = new Map<string, { day: string; used: number }>();

  constructor(private readonly limits: UsagePlanLimits) {}

  /** Takes one request from `key`'s allowance; the refusal reason otherwise. */
  take(key: string, now = Date.now()): UsagePlanRefusal | undefined {
    const bucket = this.buckets.get(key) ?? { tokens: this.limits.burstLimit, at: now };
    bucket.tokens = Math.min(
      this.limits.burstLimit,
      bucket.tokens + ((now - bucket.at) / 1000) * this.limits.rateLimit,
    );
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) return 'throttled';
    if (this.limits.quotaPerDay !== undefined) {
      const day = new Date(now).toISOString().slice(0, 10);
      const quota = this.quotas.get(key);
      const used = quota?.day === day ? quota.used : 0;
      if (used >= this.limits.quotaPerDay) return 'quotaExceeded';
      this.quotas.set(key, { day, used: used + 1 });
    }
    bucket.tokens -= 1;
    return undefined;
  }
}
