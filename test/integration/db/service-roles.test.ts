import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_TABLE_PRIVILEGES } from '../../../db/service-roles.js';
import { CATALOGUE } from '../../../functions/domain/catalogue/catalogue.js';
import { serviceSql, testSql } from '../../support/services.js';

/**
 * The least-privilege roles of db/service-roles.ts, as the functions log in (the grants are read
 * back from Postgres by trying statements, not from the code that applied them).
 */

let owner: Sql;
let api: Sql;
let worker: Sql;
let sweeper: Sql;

beforeAll(() => {
  owner = testSql();
  api = serviceSql('api', { max: 1 });
  worker = serviceSql('worker', { max: 1 });
  sweeper = serviceSql('sweeper', { max: 1 });
});
afterAll(async () => {
  await Promise.all([owner.end(), api.end(), worker.end(), sweeper.end()]);
});

const denied = { code: '42501' };

describe('service roles', () => {
  it.each([
    ['api', () => api],
    ['worker', () => worker],
  ])('let the %s read the catalogue columns and nothing else of the product tables', async (_, login) => {
    const sql = login();
    for (const table of Object.values(CATALOGUE)) {
      const columns = table.columns.map((c) => `"${c.name}"`).join(', ');
      await expect(sql.unsafe(`SELECT ${columns} FROM "${table.name}" LIMIT 1`)).resolves.toBeDefined();
    }
    await expect(sql`SELECT password_hash FROM users LIMIT 1`).rejects.toMatchObject(denied);
    await expect(sql`SELECT mfa_secret FROM users LIMIT 1`).rejects.toMatchObject(denied);
    await expect(sql`SELECT * FROM users LIMIT 1`).rejects.toMatchObject(denied);
  });

  it('never lets a service login write the product database', async () => {
    for (const sql of [api, worker, sweeper]) {
      await expect(sql`UPDATE users SET email = email WHERE false`).rejects.toMatchObject(denied);
      await expect(sql`DELETE FROM transactions WHERE false`).rejects.toMatchObject(denied);
      await expect(sql`INSERT INTO courses (id, title, price) VALUES (-1, 'x', 1)`).rejects.toMatchObject(
        denied,
      );
    }
  });

  it('keeps the sweeper away from product data', async () => {
    await expect(sweeper`SELECT email FROM users LIMIT 1`).rejects.toMatchObject(denied);
    await expect(sweeper`SELECT count(*) FROM export_jobs`).resolves.toBeDefined();
  });

  it('keeps the audit log append-only and the schema unchangeable', async () => {
    for (const sql of [api, worker, sweeper]) {
      await expect(sql`SELECT * FROM export_audit_log LIMIT 1`).rejects.toMatchObject(denied);
      await expect(sql`DELETE FROM export_audit_log WHERE false`).rejects.toMatchObject(denied);
      await expect(sql`DELETE FROM export_jobs WHERE false`).rejects.toMatchObject(denied);
      await expect(sql`TRUNCATE export_jobs`).rejects.toMatchObject(denied);
      await expect(sql`CREATE TABLE intruder (id int)`).rejects.toMatchObject(denied);
      await expect(sql`SELECT * FROM schema_migrations`).rejects.toMatchObject(denied);
    }
    const [row] = await api<{ id: string }[]>`
      INSERT INTO export_audit_log (action, status) VALUES ('test', 'ok') RETURNING id`.catch(() => [
      undefined,
    ]);
    expect(row).toBeUndefined(); // RETURNING needs SELECT, which the audit log does not grant
    await expect(
      api`INSERT INTO export_audit_log (action, status) VALUES ('test', 'ok')`,
    ).resolves.toBeDefined();
  });

  it('grants every service table to the writer: a table created by a migration cannot be forgotten', async () => {
    const catalogue = new Set(Object.keys(CATALOGUE));
    const rows = await owner<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
    // Tables other than the product's and the migration bookkeeping are the service's own.
    const service = rows
      .map((r) => r.table_name)
      .filter((name) => !catalogue.has(name) && name !== 'schema_migrations')
      .sort();

    expect(service).toEqual(Object.keys(SERVICE_TABLE_PRIVILEGES).sort());
  });
});
