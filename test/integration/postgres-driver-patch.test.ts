import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from 'postgres';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testSql } from '../support/services.js';

/**
 * The reviewed patch of postgres.js (`patches/postgres+3.4.9.patch`, README "Patched
 * dependencies") is what runs. Without it, a statement written on a transaction's connection after
 * its socket closed throws `TypeError: Cannot read properties of null (reading 'write')` from a
 * timer, outside any try/catch (the process dies), and neither the transaction nor the next query
 * of the pool ever settles. Only this file's own backends are terminated, so other test files
 * sharing the server are untouched.
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

describe('postgres.js with the nextWrite guard', () => {
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
});
