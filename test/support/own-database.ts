import { randomBytes } from 'node:crypto';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import { migrate } from '../../db/migrate.js';
import { serviceSql, testSql } from './services.js';

/** A migrated database of one test file's own, on the shared test server. */
export interface OwnDatabase {
  readonly name: string;
  /** The owner: arranges fixtures, reads results, empties tables between tests. */
  readonly owner: Sql;
  /** A client logged in as one of the service's least-privilege roles, as the code runs in AWS. */
  login(login: 'api' | 'worker' | 'sweeper', options?: postgres.Options<Record<string, never>>): Sql;
  /** Empties the service's tables, so each test starts as an empty in-memory fake does. */
  clear(): Promise<void>;
  /** Closes every client and drops the database. */
  drop(): Promise<void>;
}

/**
 * Creates and migrates a database for one test file. Tests whose port acts on every row of a
 * table (sweeps, admin listings, metrics) need one: jobs that other files create in parallel
 * would otherwise be swept, listed or counted too.
 */
export async function createOwnDatabase(label: string): Promise<OwnDatabase> {
  const name = `${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const server = testSql({ max: 1 });
  await server.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  const owner = postgres(url.toString(), { max: 2, onnotice: () => {} });
  await migrate(owner);
  const clients: Sql[] = [owner];
  return {
    name,
    owner,
    login(login, options = {}) {
      const sql = serviceSql(login, { ...options, database: name });
      clients.push(sql);
      return sql;
    },
    async clear() {
      await owner`TRUNCATE export_jobs, export_chunks, export_audit_log, export_rate_limit_events,
        webhooks, webhook_deliveries, webhook_delivery_attempts`;
    },
    async drop() {
      await Promise.all(clients.map((sql) => sql.end()));
      await server.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await server.end();
    },
  };
}
