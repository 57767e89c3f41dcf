import { describe, expect, it } from 'vitest';
import { UsagePlanMeter } from '../../../local/usage-plan-meter.js';

const NOON = Date.parse('2026-03-01T12:00:00Z');

/** `count` requests of `key` at `at`; the refusals among them. */
function take(meter: UsagePlanMeter, count: number, at: number, key = 'key-a') {
  return Array.from({ length: count }, () => meter.take(key, at));
}

describe("the local gateway's usage plan", () => {
  it('lets a burst through, then throttles until the bucket refills at the rate', () => {
    const meter = new UsagePlanMeter({ rateLimit: 2, burstLimit: 3 });

    expect(take(meter, 4, NOON)).toEqual([undefined, undefined, undefined, 'throttled']);
    expect(take(meter, 2, NOON + 500)).toEqual([undefined, 'throttled']);
    expect(take(meter, 3, NOON + 10_000)).toEqual([undefined, undefined, undefined]);
  });

  it('meters each API key on its own', () => {
    const meter = new UsagePlanMeter({ rateLimit: 1, burstLimit: 1 });

    expect(take(meter, 2, NOON, 'key-a')).toEqual([undefined, 'throttled']);
    expect(take(meter, 1, NOON, 'key-b')).toEqual([undefined]);
  });

  it('refuses past the daily quota until the next UTC day, and a throttled request does not count', () => {
    const meter = new UsagePlanMeter({ rateLimit: 1, burstLimit: 2, quotaPerDay: 3 });

    expect(take(meter, 3, NOON)).toEqual([undefined, undefined, 'throttled']);
    expect(take(meter, 2, NOON + 60_000)).toEqual([undefined, 'quotaExceeded']);
    expect(take(meter, 1, Date.parse('2026-03-02T00:00:00Z'))).toEqual([undefined]);
  });
});
