import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresRateLimiter } from '../../../functions/adapters/postgres/postgres-rate-limiter.js';
import type { RateLimiter, RateLimitPolicy } from '../../../functions/domain/access/rate-limit.js';
import { InMemoryRateLimiter } from '../../support/api-fakes.js';
import { createOwnDatabase, type OwnDatabase } from '../../support/own-database.js';

/**
 * The RateLimiter port (the per-user sliding window on export requests), one set of cases run
 * against the in-memory fake the handler tests use and against the Postgres adapter. Both read a
 * clock the test moves, so window edges are crossed without waiting.
 */

/** A clock that stands still until the test moves it. */
class Clock {
  constructor(private current: number) {}
  readonly now = () => new Date(this.current);
  set(time: Date): void {
    this.current = time.getTime();
  }
}

type MakeLimiter = (policy: RateLimitPolicy, clock: Clock) => Promise<RateLimiter>;

let db: OwnDatabase;
let apiSql: Sql;

beforeAll(async () => {
  db = await createOwnDatabase('limits_contract');
  apiSql = db.login('api', { max: 10 });
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

const inMemory: MakeLimiter = async (policy, clock) => new InMemoryRateLimiter(policy, clock.now);

const onPostgres: MakeLimiter = async (policy, clock) => {
  await db.clear();
  // The API's least-privilege login, as in AWS.
  return new PostgresRateLimiter(apiSql, { ...policy, now: clock.now });
};

const t0 = new Date('2024-05-01T12:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const policy: RateLimitPolicy = { max: 3, windowSeconds: 60 };

describe.each([
  ['in-memory', inMemory],
  ['postgres', onPostgres],
])('RateLimiter contract: %s', (_name, make) => {
  it('reports an empty window as the full allowance, back now', async () => {
    const clock = new Clock(t0.getTime());
    const limiter = await make(policy, clock);

    await expect(limiter.peek('user-a')).resolves.toEqual({
      limit: 3,
      remaining: 3,
      windowSeconds: 60,
      resetAt: t0,
      nextAvailableAt: t0,
      retryAfterSeconds: 0,
    });
  });

  it('allows `max` requests in a window and refuses the next, which counts nothing', async () => {
    const clock = new Clock(t0.getTime());
    const limiter = await make(policy, clock);

    const decisions = [];
    for (const ms of [0, 1000, 2000, 3000]) {
      clock.set(at(ms));
      decisions.push(await limiter.consume('user-a'));
    }
    const after = await limiter.peek('user-a');

    expect(decisions.map((d) => [d.allowed, d.remaining])).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(decisions[2]).toMatchObject({ retryAfterSeconds: 0, resetAt: at(62_000) });
    expect(decisions[3]).toMatchObject({ retryAfterSeconds: 57, nextAvailableAt: at(60_000) });
    // Had the refusal counted, the window would reset a minute after it instead.
    expect(after).toMatchObject({ remaining: 0, resetAt: at(62_000), nextAvailableAt: at(60_000) });
  });

  it('frees a slot exactly when the oldest request is a full window old', async () => {
    const clock = new Clock(t0.getTime());
    const limiter = await make(policy, clock);
    for (const ms of [0, 1000, 2000]) {
      clock.set(at(ms));
      await limiter.consume('user-a');
    }

    clock.set(at(59_999));
    const justBefore = await limiter.consume('user-a');
    clock.set(at(60_000));
    const onTheEdge = await limiter.consume('user-a');

    expect(justBefore).toMatchObject({ allowed: false, retryAfterSeconds: 1 });
    expect(onTheEdge).toMatchObject({ allowed: true, remaining: 0, nextAvailableAt: at(61_000) });
  });

  it('peeks without counting', async () => {
    const clock = new Clock(t0.getTime());
    const limiter = await make(policy, clock);

    for (let i = 0; i < 5; i++) await limiter.peek('user-a');
    const first = await limiter.consume('user-a');

    expect(first).toMatchObject({ allowed: true, remaining: 2 });
  });

  it("keeps each user's window apart", async () => {
    const clock = new Clock(t0.getTime());
    const limiter = await make(policy, clock);

    for (let i = 0; i < 3; i++) await limiter.consume('user-a');
    const other = await limiter.consume('user-b');

    expect(other).toMatchObject({ allowed: true, remaining: 2 });
    await expect(limiter.peek('user-a')).resolves.toMatchObject({ remaining: 0 });
  });

  it('never lets concurrent requests take more slots than are free', async () => {
    const clock = new Clock(t0.getTime());
    const limiter = await make(policy, clock);
    await limiter.consume('user-a');

    const decisions = await Promise.all(Array.from({ length: 8 }, () => limiter.consume('user-a')));

    expect(decisions.filter((d) => d.allowed)).toHaveLength(2);
    await expect(limiter.peek('user-a')).resolves.toMatchObject({ remaining: 0 });
  });
});
