import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ReservedSql, Sql } from 'postgres';
import { applyServiceRoles } from './service-roles.js';

/** Folder of `NNNN_name.sql` files, found next to this module so it works under tsx and vitest alike. */
const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * Key of the session-level advisory lock that serialises concurrent migration runs
 * (e.g. several Lambdas or test workers starting at once). Arbitrary but fixed: "exportmg" in ASCII.
 */
const MIGRATION_LOCK_KEY = 0x6578706f72746d67n;

/**
 * Applies every `db/migrations/*.sql` file not yet recorded in `schema_migrations`, in name order,
 * each in its own transaction together with its bookkeeping row.
 *
 * Then (re)applies the service's database roles and grants (`applyServiceRoles`), which follow
 * the service tables and the export catalogue rather than a migration file; run it after the
 * product tables exist, so the reader is granted their catalogue columns.
 *
 * Safe to call from several processes at once: the whole run holds an advisory lock on one
 * reserved connection, so a second caller waits and then finds nothing left to apply.
 *
 * @returns the names of the migrations applied by this call (empty when already up to date).
 */
export async function migrate(sql: Sql): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort();
  const connection = await sql.reserve();
  try {
    await connection`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    try {
      const applied = await applyPending(connection, files);
      await applyServiceRoles(connection);
      return applied;
    } finally {
      await connection`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    }
  } finally {
    connection.release();
  }
}

async function applyPending(connection: ReservedSql, files: readonly string[]): Promise<string[]> {
  await connection`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )
  `;
  const rows = await connection<{ name: string }[]>`SELECT name FROM schema_migrations`;
  const done = new Set(rows.map((row) => row.name));
  const applied: string[] = [];
  for (const name of files) {
    if (done.has(name)) continue;
    const text = await readFile(`${MIGRATIONS_DIR}${name}`, 'utf8');
    // A reserved connection has no `begin()`; the transaction is driven by hand.
    await connection.unsafe('BEGIN');
    try {
      // No parameters: sent with the simple protocol, so a file may hold several statements.
      await connection.unsafe(text);
      await connection`INSERT INTO schema_migrations (name) VALUES (${name})`;
      await connection.unsafe('COMMIT');
    } catch (error) {
      await connection.unsafe('ROLLBACK').catch(() => {});
      throw new Error(`migration ${name} failed: ${(error as Error).message}`, { cause: error });
    }
    applied.push(name);
  }
  return applied;
}
