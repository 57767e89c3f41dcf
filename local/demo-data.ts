import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Sql, TransactionSql } from 'postgres';
import { DEMO_FIXED_ROWS, type DemoRow, fixedRows } from './demo/fixed-rows.js';
import {
  GENERATE_ACTIVITY,
  GENERATE_COURSES,
  GENERATE_ENROLLMENTS,
  GENERATE_TRANSACTIONS,
  GENERATE_USERS,
} from './demo/generated-rows.js';
import { DEMO_HARD_TEXTS } from './demo/hard-cases.js';
import { DEMO_DEFAULT_SEED, demoUserId } from './demo/identities.js';

// The demo data's public face: its seeding here, its identities and fixed cases from ./demo/.
export { DEMO_FIXED_ROWS } from './demo/fixed-rows.js';
export { DEMO_HARD_TEXTS } from './demo/hard-cases.js';
export {
  DEMO_ADMIN_EMAIL,
  DEMO_ADMIN_ID,
  DEMO_DEFAULT_SEED,
  DEMO_MFA_SECRET_MARKER,
  DEMO_PASSWORD_HASH_MARKER,
  DEMO_USER_EMAIL,
  DEMO_USER_ID,
  demoUserId,
} from './demo/identities.js';

/**
 * How much demo data to write. Counts are per-table totals including the fixed hard-case rows,
 * which are always written (so a table never has fewer rows than its fixed ones).
 */
export interface DemoDataOptions {
  /** Number of users; at least {@link DEMO_FIXED_ROWS.users} (the fixed hard-case users). */
  users: number;
  /** Same seed and counts give byte-identical data. @default 1 */
  seed?: number;
  /** @default max(5, users / 10) */
  courses?: number;
  /** @default 2 × users */
  enrollments?: number;
  /** @default 3 × users */
  transactions?: number;
  /** Rows of `activity_logs`. @default 4 × users */
  activity?: number;
}

/** What {@link seedDemoData} wrote. */
export interface DemoDataSummary {
  readonly seed: number;
  /** Rows written per product table. */
  readonly rows: {
    readonly users: number;
    readonly courses: number;
    readonly enrollments: number;
    readonly transactions: number;
    readonly activity_logs: number;
  };
  /** The ordinary demo user who owns most hard-case rows (index 1). */
  readonly userId: string;
  /** The one user with roles `{admin}` (index 2). */
  readonly adminId: string;
}

interface ResolvedCounts {
  seed: number;
  users: number;
  courses: number;
  enrollments: number;
  transactions: number;
  activity: number;
}

function resolve(options: DemoDataOptions): ResolvedCounts {
  const users = options.users;
  const resolved: ResolvedCounts = {
    seed: options.seed ?? DEMO_DEFAULT_SEED,
    users,
    courses: options.courses ?? Math.max(5, Math.floor(users / 10)),
    enrollments: options.enrollments ?? 2 * users,
    transactions: options.transactions ?? 3 * users,
    activity: options.activity ?? 4 * users,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || (name !== 'seed' && value < 0) || Math.abs(value) > 2_147_483_647) {
      throw new RangeError(
        `demo data option ${name} must be a 32-bit integer${name === 'seed' ? '' : ' ≥ 0'}, got ${value}`,
      );
    }
  }
  if (users < DEMO_FIXED_ROWS.users) {
    throw new RangeError(
      `demo data needs at least ${DEMO_FIXED_ROWS.users} users (the fixed hard cases), got ${users}`,
    );
  }
  return resolved;
}

type Queryable = Sql | TransactionSql;

async function insertRows(sql: Queryable, table: string, rows: readonly DemoRow[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const types = new Map(
    (
      await sql<{ name: string; type: string }[]>`
        SELECT attname AS name, format_type(atttypid, atttypmod) AS type
        FROM pg_attribute
        WHERE attrelid = ${table}::regclass AND attnum > 0 AND NOT attisdropped
      `
    ).map((column) => [column.name, column.type]),
  );
  // Scalars travel as text and are cast in SQL: postgres.js would otherwise run a string bound to a
  // jsonb column through JSON.stringify and one bound to timestamptz through Date (losing microseconds).
  const cast = (column: string, n: number) => {
    const type = types.get(column);
    if (!type) throw new Error(`${table}.${column} does not exist`);
    return type.endsWith('[]') ? `$${n}::${type}` : `$${n}::text::${type}`;
  };
  const placeholders = rows
    .map((_, r) => `(${columns.map((column, c) => cast(column, r * columns.length + c + 1)).join(', ')})`)
    .join(', ');
  const values = rows.flatMap((row) =>
    columns.map((column) => {
      const value = row[column] ?? null;
      return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    }),
  );
  await sql.unsafe(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders}`,
    values as (string | null | string[])[],
  );
}

/**
 * Writes the fixed hard-case rows (always, whatever `total`), then generated rows with ids
 * `specials + 1 .. total`. Returns the rows written.
 */
async function fill(
  sql: Queryable,
  table: string,
  specials: readonly DemoRow[],
  total: number,
  generate: string,
  params: (first: number, last: number) => (number | string[])[],
): Promise<number> {
  await insertRows(sql, table, specials);
  const first = specials.length + 1;
  if (total >= first) await sql.unsafe(generate, params(first, total));
  return Math.max(total, specials.length);
}

async function seedInTransaction(sql: Queryable, options: DemoDataOptions): Promise<DemoDataSummary> {
  const counts = resolve(options);
  const { seed } = counts;
  const hard = [...DEMO_HARD_TEXTS];
  const fixed = fixedRows(seed);
  const users = await fill(sql, 'users', fixed.users, counts.users, GENERATE_USERS, (a, b) => [
    seed,
    a,
    b,
    hard,
  ]);
  const courses = await fill(sql, 'courses', fixed.courses, counts.courses, GENERATE_COURSES, (a, b) => [
    seed,
    a,
    b,
    hard,
  ]);
  const enrollments = await fill(
    sql,
    'enrollments',
    fixed.enrollments,
    counts.enrollments,
    GENERATE_ENROLLMENTS,
    (a, b) => [seed, a, b, users, courses],
  );
  const transactions = await fill(
    sql,
    'transactions',
    fixed.transactions,
    counts.transactions,
    GENERATE_TRANSACTIONS,
    (a, b) => [seed, a, b, users, hard],
  );
  const activity = await fill(
    sql,
    'activity_logs',
    fixed.activity_logs,
    counts.activity,
    GENERATE_ACTIVITY,
    (a, b) => [seed, a, b, users, hard],
  );
  // Explicit ids leave the identity sequences at 1; move them past the data so later inserts work.
  for (const table of ['courses', 'enrollments', 'transactions', 'activity_logs']) {
    await sql.unsafe(
      `SELECT setval(pg_get_serial_sequence('${table}', 'id'), max(id)) FROM ${table} HAVING max(id) IS NOT NULL`,
    );
  }
  await sql.unsafe('ANALYZE users, courses, enrollments, transactions, activity_logs');
  return {
    seed,
    rows: { users, courses, enrollments, transactions, activity_logs: activity },
    userId: demoUserId(1, seed),
    adminId: demoUserId(2, seed),
  };
}

const PRODUCT_SCHEMA_FILE = fileURLToPath(new URL('../db/product-schema.sql', import.meta.url));

/** Serialises concurrent {@link ensureProductDatabase} calls (e.g. parallel test runs on one server). */
const ENSURE_LOCK_KEY = 0x64656d6f64617461n;

async function createSchemaIn(sql: Queryable): Promise<void> {
  // No parameters: the simple protocol runs the file's several statements.
  await sql.unsafe(await readFile(PRODUCT_SCHEMA_FILE, 'utf8'));
}

/** Creates the product tables of docs/architecture.md#product-database (`db/product-schema.sql`) in one transaction. */
export async function createProductSchema(sql: Sql): Promise<void> {
  await sql.begin((tx) => createSchemaIn(tx));
}

/**
 * Fills empty product tables with deterministic demo data: a few fixed rows holding the hard cases
 * for encoders, then rows generated inside Postgres (`INSERT … SELECT … generate_series`, values
 * from a hash of seed and row number), so a million rows take seconds and the same options always
 * give identical content. Runs in one transaction.
 */
export async function seedDemoData(sql: Sql, options: DemoDataOptions): Promise<DemoDataSummary> {
  return sql.begin((tx) => seedInTransaction(tx, options));
}

/**
 * Creates and seeds the product tables when `users` does not exist; otherwise leaves the database
 * untouched, so demo data never lands in a real product database.
 */
export async function ensureProductDatabase(
  sql: Sql,
  options: DemoDataOptions,
): Promise<{ created: boolean }> {
  const created = await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${ENSURE_LOCK_KEY.toString()}::bigint)`;
    const [row] = await tx<{ present: boolean }[]>`SELECT to_regclass('users') IS NOT NULL AS present`;
    if (row?.present) return false;
    await createSchemaIn(tx);
    await seedInTransaction(tx, options);
    return true;
  });
  return { created };
}
