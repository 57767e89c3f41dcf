import postgres, { type Sql } from 'postgres';
import { migrate } from '../db/migrate.js';
import { createProductSchema, seedDemoData } from '../local/demo-data.js';

/** A database of the chunked benchmark: its URL and whether this call seeded it. */
export interface ChunkedBenchDatabase {
  readonly url: string;
  /** Seconds the seeding took; undefined when the database was already there (kept in `.bench/`). */
  readonly seededSeconds?: number;
}

/**
 * A database of its own on the server at `serverUrl` holding `rows` rows of `activity_logs` (the
 * demo data's, with 1,000 users), kept across runs: seeding 10,000,000 rows takes minutes even so.
 */
export async function chunkedBenchDatabase(serverUrl: string, rows: number): Promise<ChunkedBenchDatabase> {
  const name = `bench_chunked_${rows}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [exists] = await admin`SELECT 1 FROM pg_database WHERE datname = ${name}`;
    if (!exists) await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await migrate(sql);
    // A seeding cut short leaves the schema without rows (the rows are written in one transaction).
    const [table] = await sql<
      { present: boolean }[]
    >`SELECT to_regclass('activity_logs') IS NOT NULL AS present`;
    if (table?.present && (await sql`SELECT 1 FROM activity_logs LIMIT 1`).length > 0)
      return { url: url.toString() };
    const started = process.hrtime.bigint();
    await seedActivity(sql, rows);
    return { url: url.toString(), seededSeconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    await sql.end();
  }
}

/**
 * The demo data's own rows (`seedDemoData`, one set-based `INSERT … SELECT generate_series` per
 * table), written while `activity_logs` has no secondary index and no foreign key: maintaining two
 * randomly ordered B-trees and checking `users` once per row made seeding about three times slower.
 * The indexes and the constraint are dropped and recreated from their own definitions in the
 * catalog, so the table ends exactly as `db/product-schema.sql` declares it.
 */
async function seedActivity(sql: Sql, rows: number): Promise<void> {
  await sql`DROP TABLE IF EXISTS activity_logs, transactions, enrollments, courses, users CASCADE`;
  await createProductSchema(sql);
  const foreignKeys = await sql<{ name: string; definition: string }[]>`
    SELECT conname AS name, pg_get_constraintdef(oid) AS definition
    FROM pg_constraint WHERE conrelid = 'activity_logs'::regclass AND contype = 'f'`;
  const indexes = await sql<{ name: string; definition: string }[]>`
    SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS definition
    FROM pg_index WHERE indrelid = 'activity_logs'::regclass AND NOT indisprimary`;
  for (const { name } of foreignKeys)
    await sql.unsafe(`ALTER TABLE activity_logs DROP CONSTRAINT ${quote(name)}`);
  for (const { name } of indexes) await sql.unsafe(`DROP INDEX ${name}`);
  await seedDemoData(sql, { users: 1_000, activity: rows });
  // Index builds sort in memory rather than in temporary files when given room to.
  await sql`SET maintenance_work_mem = '512MB'`;
  for (const { definition } of indexes) await sql.unsafe(definition);
  for (const { name, definition } of foreignKeys)
    await sql.unsafe(`ALTER TABLE activity_logs ADD CONSTRAINT ${quote(name)} ${definition}`);
  await sql`ANALYZE`;
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
