import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testSql } from '../../support/services.js';

/**
 * The reviewed patch of postgres.js (`patches/postgres+3.4.9.patch`, docs/decisions.md "Patched
 * dependencies") is what runs. Without it, a statement written on a transaction's connection after
 * its socket closed throws `TypeError: Cannot read properties of null (reading 'write')` from a
 * timer, outside any try/catch (the process dies), and neither the transaction nor the next query
 * of the pool ever settles; and the first query after a backend was terminated mid-query fails
 * with that dead backend's error. Only this file's own backends are terminated, so other test
 * files sharing the server are untouched.
 */

let sql: Sql;
let killer: Sql;
let onClose: () => void = () => {};
const uncaught: unknown[] = [];
const record = (error: unknown) => uncaught.push(error);

beforeAll(() => {
  sql = testSql({ max: 2, onclose: () => onClose() });
  killer = testSql({ max: 1 });
});

afterAll(async () => {
  await Promise.all([sql?.end({ timeout: 5 }), killer?.end({ timeout: 5 })]);
});

beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
});

afterEach(() => {
  process.off('uncaughtException', record);
  process.off('unhandledRejection', record);
});

/** The outcome of `query`: 'ok', its error code, or 'unsettled' when it neither resolves nor rejects. */
async function outcome(query: Promise<unknown>): Promise<string> {
  return Promise.race([
    query.then(
      () => 'ok',
      (error: { code?: string }) => error.code ?? 'error',
    ),
    sleep(10_000).then(() => 'unsettled'),
  ]);
}

describe('the patched postgres.js', () => {
  it('settles a transaction whose connection closed under it with CONNECTION_CLOSED, and the pool serves the next query', async () => {
    const outcomes: string[] = [];
    for (let round = 0; round < 3; round++) {
      const closed = new Promise<void>((resolve) => {
        onClose = resolve;
      });
      outcomes.push(
        await outcome(
          sql.begin(async (tx) => {
            const [row] = await tx<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
            await killer`SELECT pg_terminate_backend(${row!.pid})`;
            // The driver has seen its socket close: what follows is written to no socket at all.
            await closed;
            await tx`SELECT 1`;
          }),
        ),
        await outcome(sql`SELECT 1`),
      );
    }

    expect(outcomes).toEqual(Array.from({ length: 3 }, () => ['CONNECTION_CLOSED', 'ok']).flat());
    expect(uncaught).toEqual([]);
  });

  it('fails a query whose backend is terminated under it, and the reconnected connection serves the next query', async () => {
    const single = testSql({ max: 1 });
    const outcomes: string[] = [];
    try {
      for (let round = 0; round < 3; round++) {
        const [{ pid } = { pid: 0 }] = await single<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
        const sleeping = outcome(single`SELECT pg_sleep(30)`);
        // Terminated while the sleep runs, so the backend's FATAL error arrives during a query.
        await expect
          .poll(
            async () =>
              (
                await killer`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                             WHERE pid = ${pid} AND query LIKE 'SELECT pg_sleep%'`
              ).length,
            { timeout: 5_000, interval: 20 },
          )
          .toBe(1);
        outcomes.push(await sleeping, await outcome(single`SELECT 1`));
      }
    } finally {
      await single.end({ timeout: 5 });
    }

    expect(outcomes).toEqual(Array.from({ length: 3 }, () => ['CONNECTION_CLOSED', 'ok']).flat());
    expect(uncaught).toEqual([]);
  });
});
