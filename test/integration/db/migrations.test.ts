import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { migrate } from '../../../db/migrate.js';
import { parseJobSpec } from '../../../functions/domain/jobs/job-spec.js';
import { bulkSpec, scheduledSpec, userSpec } from '../../support/job-specs.js';

/** Listed independently of `migrate` so the test notices a file it skipped. */
const MIGRATION_FILES = readdirSync(fileURLToPath(new URL('../../../db/migrations/', import.meta.url)))
  .filter((name) => name.endsWith('.sql'))
  .sort();

const admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
const scratchDatabases: string[] = [];
const clients: Sql[] = [];

/** Creates an empty database on the test server and returns a client for it (closed and dropped after all tests). */
async function scratchDatabase(): Promise<Sql> {
  const name = `migrate_test_${randomUUID().replaceAll('-', '')}`;
  await admin.unsafe(`CREATE DATABASE ${name}`);
  scratchDatabases.push(name);
  return connect(name);
}

function connect(database: string): Sql {
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${database}`;
  const client = postgres(url.toString(), { max: 2, onnotice: () => {} });
  clients.push(client);
  return client;
}

afterAll(async () => {
  await Promise.all(clients.map((client) => client.end()));
  for (const name of scratchDatabases) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
});

describe('migrate', () => {
  it('applies every migration in name order on a fresh database and nothing on a second run', async () => {
    // Arrange
    const sql = await scratchDatabase();

    // Act
    const first = await migrate(sql);
    const second = await migrate(sql);

    // Assert
    expect(first).toEqual(MIGRATION_FILES);
    expect(second).toEqual([]);
    const recorded = await sql<{ name: string }[]>`SELECT name FROM schema_migrations ORDER BY name`;
    expect(recorded.map((row) => row.name)).toEqual(MIGRATION_FILES);
  });

  it('lets two processes migrate the same database at once, applying each migration exactly once', async () => {
    // Arrange: two clients, i.e. two separate sessions competing for the lock.
    const a = await scratchDatabase();
    const [row] = await a<{ database: string }[]>`SELECT current_database() AS database`;
    const b = connect(row!.database);

    // Act
    const [appliedByA, appliedByB] = await Promise.all([migrate(a), migrate(b)]);

    // Assert
    expect([...appliedByA, ...appliedByB].sort()).toEqual(MIGRATION_FILES);
    const [tables] = await a`
      SELECT count(*)::int AS n FROM pg_class
      WHERE relkind = 'r'
        AND relname IN ('export_jobs', 'export_audit_log', 'export_rate_limit_events', 'export_chunks')
    `;
    expect(tables?.n).toBe(4);
    const [recorded] = await a`SELECT count(*)::int AS n FROM schema_migrations`;
    expect(recorded?.n).toBe(MIGRATION_FILES.length);
  });

  it('releases its advisory lock when done', async () => {
    // Arrange
    const sql = await scratchDatabase();
    await migrate(sql);

    // Act
    const [held] = await sql`
      SELECT count(*)::int AS n FROM pg_locks
      WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
    `;

    // Assert
    expect(held?.n).toBe(0);
  });
});

describe('0008_job_spec', () => {
  it("backfills every earlier job's spec from its columns, as the worker parses it", async () => {
    // Arrange: a database migrated up to the migration before, holding a job of each kind.
    const sql = await scratchDatabase();
    const dir = fileURLToPath(new URL('../../../db/migrations/', import.meta.url));
    for (const name of MIGRATION_FILES.filter((file) => file < '0008'))
      await sql.unsafe(readFileSync(`${dir}${name}`, 'utf8'));
    const user = '0f8fad5b-d9cb-469f-a165-70867728950e';
    await sql.unsafe(`
      INSERT INTO export_jobs (kind, tables, filters, format, compression, options, requested_by) VALUES
        ('bulk', '["users","courses"]', '{"users":{"dateFrom":"2024-01-01"}}', 'parquet', 'none',
         '{"columns":{"users":["id","email"]},"formulaGuard":false,"consistency":"snapshot"}', 'admin-1'),
        ('bulk', '["courses"]', '{}', 'csv', 'gzip', '{}', 'admin-1'),
        ('user', '["profile","transactions","courses","activity"]', '{}', 'xml', 'none',
         '{"userId":"${user}","formulaGuard":true}', '${user}');
      INSERT INTO export_jobs (kind, tables, format, compression, options, requested_by, schedule_name, scheduled_for)
      VALUES ('scheduled', '["transactions"]', 'csv', 'none', '{"scheduledTime":"2024-05-02T01:00:00.000Z","run":2}', NULL,
              'daily_transactions', '2024-05-02T00:00:00Z'),
             ('scheduled', '["users"]', 'json', 'none', '{}', NULL, 'weekly_users', '2024-05-05T00:00:00Z');`);

    // Act
    await sql.unsafe(readFileSync(`${dir}0008_job_spec.sql`, 'utf8'));

    // Assert
    const rows = await sql<
      { spec: unknown; options: unknown }[]
    >`SELECT spec, options FROM export_jobs ORDER BY created_at, kind, format`;
    expect(rows.map((row) => parseJobSpec(row.spec))).toEqual(
      expect.arrayContaining([
        bulkSpec({
          tables: ['users', 'courses'],
          filters: { users: { dateFrom: '2024-01-01' } },
          columns: { users: ['id', 'email'] },
          format: 'parquet',
          consistency: 'snapshot',
        }),
        bulkSpec({ tables: ['courses'], compression: 'gzip' }),
        userSpec(user, { format: 'xml' }),
        scheduledSpec({ scheduledTime: '2024-05-02T01:00:00.000Z' }),
        scheduledSpec({
          schedule: 'weekly_users',
          tables: ['users'],
          format: 'json',
          scheduledTime: '2024-05-05T00:00:00.000Z',
        }),
      ]),
    );
    expect(rows.map((row) => row.options)).toEqual(expect.arrayContaining([{}, { run: 2 }]));
    await expect(sql`UPDATE export_jobs SET kind = 'user' WHERE kind = 'bulk'`).rejects.toMatchObject({
      code: '23514',
    });
  });
});

describe('service table constraints', () => {
  let sql: Sql;

  beforeAll(async () => {
    sql = await scratchDatabase();
    await migrate(sql);
  });

  const job = (overrides: Record<string, unknown> = {}) => ({
    kind: 'bulk',
    spec: JSON.stringify(bulkSpec()),
    tables: JSON.stringify(['users']),
    format: 'csv',
    requested_by: 'user-1',
    ...overrides,
  });

  async function insertJob(overrides: Record<string, unknown> = {}) {
    const row = job(overrides);
    const columns = Object.keys(row);
    const values = Object.values(row) as (string | null)[];
    const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
    return sql.unsafe(
      `INSERT INTO export_jobs (${columns.join(', ')}) VALUES (${placeholders}) RETURNING *`,
      values,
    );
  }

  it('fills the documented defaults for a new job', async () => {
    // Act
    const [row] = await insertJob();

    // Assert
    expect(row).toMatchObject({
      status: 'queued',
      compression: 'none',
      filters: {},
      options: {},
      progress: {},
      attempts: 0,
      cancel_requested: false,
      rows_exported: '0',
      bytes_written: '0',
      result: null,
      error: null,
    });
    expect(row?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row?.created_at).toBeInstanceOf(Date);
    expect(row?.updated_at).toBeInstanceOf(Date);
  });

  it.each([
    ['status', { status: 'bogus' }],
    ['kind', { kind: 'export' }],
    ['format', { format: 'pdf' }],
    ['compression', { compression: 'zip' }],
  ])('rejects an unknown %s with a check violation', async (_column, overrides) => {
    // Act
    const insert = insertJob(overrides);

    // Assert
    await expect(insert).rejects.toMatchObject({ code: '23514' });
  });

  it('accepts a parquet job, but not a gzipped one', async () => {
    // Act
    const [parquet] = await insertJob({ format: 'parquet' });
    const gzipped = insertJob({ format: 'parquet', compression: 'gzip' });

    // Assert
    expect(parquet).toMatchObject({ format: 'parquet', compression: 'none' });
    await expect(gzipped).rejects.toMatchObject({ code: '23514' });
  });

  it('rejects a user or bulk job without requested_by; only scheduled (system) jobs have no owner', async () => {
    // Act
    const bulk = insertJob({ kind: 'bulk', requested_by: null });
    const user = insertJob({ kind: 'user', requested_by: null });
    const scheduled = insertJob({
      kind: 'scheduled',
      requested_by: null,
      schedule_name: 'x',
      scheduled_for: '2001-01-01T00:00:00Z',
    });

    // Assert
    await expect(bulk).rejects.toMatchObject({ code: '23514', constraint_name: 'export_jobs_owner_ck' });
    await expect(user).rejects.toMatchObject({ code: '23514', constraint_name: 'export_jobs_owner_ck' });
    await expect(scheduled).resolves.toHaveLength(1);
  });

  it.each([['tables'], ['format'], ['kind']])('rejects a job without %s', async (column) => {
    // Act
    const insert = insertJob({ [column]: null });

    // Assert
    await expect(insert).rejects.toMatchObject({ code: '23502' });
  });

  it('rejects a second job with the same idempotency key from the same requester', async () => {
    // Arrange
    await insertJob({ requested_by: 'alice', idempotency_key: 'key-1' });

    // Act
    const duplicate = insertJob({ requested_by: 'alice', idempotency_key: 'key-1' });

    // Assert
    await expect(duplicate).rejects.toMatchObject({
      code: '23505',
      constraint_name: 'export_jobs_idempotency_key_uq',
    });
  });

  it('accepts the same idempotency key from another requester, and any number of jobs without a key', async () => {
    // Arrange
    await insertJob({ requested_by: 'bob', idempotency_key: 'key-2' });

    // Act
    const inserts = Promise.all([
      insertJob({ requested_by: 'carol', idempotency_key: 'key-2' }),
      insertJob({ requested_by: 'bob' }),
      insertJob({ requested_by: 'bob' }),
    ]);

    // Assert
    await expect(inserts).resolves.toHaveLength(3);
  });

  it('rejects a second scheduled job for the same schedule slot', async () => {
    // Arrange
    const slot = { kind: 'scheduled', schedule_name: 'daily-users', scheduled_for: '2024-02-29T00:00:00Z' };
    await insertJob({ ...slot, requested_by: null });

    // Act
    const duplicate = insertJob({ ...slot, requested_by: null });

    // Assert
    await expect(duplicate).rejects.toMatchObject({
      code: '23505',
      constraint_name: 'export_jobs_schedule_slot_uq',
    });
  });

  it('records an audit entry with a generated id and rejects one without an action', async () => {
    // Act
    const [entry] = await sql`
      INSERT INTO export_audit_log (user_id, export_type, action, status)
      VALUES ('user-1', 'bulk', 'request', 'accepted')
      RETURNING id, details, created_at
    `;
    const withoutAction = sql`INSERT INTO export_audit_log (user_id, status) VALUES ('user-1', 'accepted')`;
    const withExplicitId = sql`INSERT INTO export_audit_log (id, action, status) VALUES (1, 'request', 'accepted')`;

    // Assert
    expect(entry).toMatchObject({ details: {} });
    expect(Number(entry?.id)).toBeGreaterThan(0);
    await expect(withoutAction).rejects.toMatchObject({ code: '23502' });
    // GENERATED ALWAYS: ids cannot be forged.
    await expect(withExplicitId).rejects.toMatchObject({ code: '428C9' });
  });

  it('rejects a rate-limit event without a user', async () => {
    // Act
    const insert = sql`INSERT INTO export_rate_limit_events (user_id) VALUES (NULL)`;

    // Assert
    await expect(insert).rejects.toMatchObject({ code: '23502' });
  });
});
