import { describe, expect, it } from 'vitest';
import { decide, windowState } from '../../../functions/domain/access/rate-limit.js';

const policy = { max: 5, windowSeconds: 900 };
const t0 = new Date('2024-05-01T12:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe('the sliding window', () => {
  it('allows the fifth request in a window and refuses the sixth with the wait until a slot frees', () => {
    const four = [at(0), at(10), at(20), at(30)];

    const fifth = decide(policy, at(40), four);
    const sixth = decide(policy, at(50), [...four, at(40)]);

    expect(fifth).toMatchObject({ allowed: true, remaining: 0 });
    expect(sixth).toMatchObject({ allowed: false, remaining: 0, retryAfterSeconds: 850 });
    expect(sixth.nextAvailableAt).toEqual(at(900));
  });

  it('frees a slot exactly when the oldest request is a full window old', () => {
    const five = [at(0), at(10), at(20), at(30), at(40)];
    const inWindow = (now: Date) => five.filter((t) => t.getTime() > now.getTime() - 900_000);

    expect(decide(policy, at(899), inWindow(at(899))).allowed).toBe(false);
    expect(decide(policy, at(900), inWindow(at(900))).allowed).toBe(true);
  });

  it('reports the full allowance and reset now for an empty window', () => {
    expect(windowState(policy, t0, [])).toEqual({
      limit: 5,
      remaining: 5,
      windowSeconds: 900,
      resetAt: t0,
      nextAvailableAt: t0,
      retryAfterSeconds: 0,
    });
  });

  it('tells a full window how long to wait without counting anything', () => {
    const state = windowState(policy, at(100), [at(0), at(10), at(20), at(30), at(40)]);

    expect(state).toMatchObject({ remaining: 0, nextAvailableAt: at(900), retryAfterSeconds: 800 });
  });

  it('resets when the newest counted request leaves the window', () => {
    expect(windowState(policy, at(100), [at(0), at(60)]).resetAt).toEqual(at(960));
  });

  it('never asks to wait less than a second', () => {
    const five = [at(0), at(1), at(2), at(3), at(4)];

    expect(decide(policy, new Date(at(900).getTime() - 1), five).retryAfterSeconds).toBe(1);
  });
});
