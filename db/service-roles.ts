import type { ReservedSql, Sql, TransactionSql } from 'postgres';
import { CATALOGUE } from '../functions/domain/catalogue/catalogue.js';

/**
 * The database roles of the service, least privilege by construction:
 * - `reader`: SELECT on the export catalogue's columns of the product tables, nothing else (no
 *   `password_hash`, no `mfa_secret`, no writes: the product database is read-only for the service);
 * - `writer`: the service's own tables, each with only the statements the adapters run;
 * - one login per function group, member of what it needs: the API (inline user exports read the
 *   product tables), the worker (exports), the sweeper (job state only).
 * Migrations run as the database owner; no function ever logs in as it. In AWS the logins
 * authenticate with IAM (`rds_iam`), locally with a password the runtime sets.
 */
export const SERVICE_ROLES = {
  reader: 'data_export_reader',
  writer: 'data_export_writer',
  api: 'data_export_api',
  worker: 'data_export_worker',
  sweeper: 'data_export_sweeper',
} as const;

/** A login role a function connects as. */
export type ServiceLogin = (typeof SERVICE_ROLES)['api' | 'worker' | 'sweeper'];

export const SERVICE_LOGINS: Readonly<Record<ServiceLogin, readonly string[]>> = {
  [SERVICE_ROLES.api]: [SERVICE_ROLES.reader, SERVICE_ROLES.writer],
  [SERVICE_ROLES.worker]: [SERVICE_ROLES.reader, SERVICE_ROLES.writer],
  [SERVICE_ROLES.sweeper]: [SERVICE_ROLES.writer],
};

/**
 * What the writer may do on each service table: exactly the statements of the Postgres adapters.
 * The audit log is append-only. A migration that adds a table adds it here (a test fails otherwise).
 */
export const SERVICE_TABLE_PRIVILEGES: Readonly<Record<string, readonly string[]>> = {
  export_jobs: ['SELECT', 'INSERT', 'UPDATE'],
  export_audit_log: ['INSERT'],
  export_rate_limit_events: ['SELECT', 'INSERT', 'DELETE'],
  webhooks: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
  webhook_deliveries: ['SELECT', 'INSERT', 'UPDATE'],
  webhook_delivery_attempts: ['SELECT', 'INSERT'],
  // DELETE: a snapshot job's chunks are discarded when it stops, since no later attempt may continue them.
  export_chunks: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
};

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Creates the roles if missing and (re)applies every grant, so the database matches this file
 * after each migration run: catalogue columns added or removed are granted or revoked. Product
 * tables that do not exist (yet) are skipped. On RDS the logins also get `rds_iam`.
 */
export async function applyServiceRoles(sql: Sql | ReservedSql): Promise<void> {
  await inTransaction(sql, async (tx) => {
    // Roles are cluster-wide: concurrent runs against several databases must not race on CREATE ROLE.
    await tx`SELECT pg_advisory_xact_lock(hashtext('data-export-service-roles'))`;
    const existing = new Set(
      (await tx<{ rolname: string }[]>`SELECT rolname FROM pg_roles`).map((row) => row.rolname),
    );
    for (const role of [SERVICE_ROLES.reader, SERVICE_ROLES.writer]) {
      if (!existing.has(role)) await tx.unsafe(`CREATE ROLE ${ident(role)} NOLOGIN`);
    }
    for (const [login, groups] of Object.entries(SERVICE_LOGINS)) {
      if (!existing.has(login)) await tx.unsafe(`CREATE ROLE ${ident(login)} LOGIN`);
      await tx.unsafe(`GRANT ${groups.map(ident).join(', ')} TO ${ident(login)}`);
      if (existing.has('rds_iam')) await tx.unsafe(`GRANT rds_iam TO ${ident(login)}`);
    }
    await tx.unsafe(
      `GRANT USAGE ON SCHEMA public TO ${ident(SERVICE_ROLES.reader)}, ${ident(SERVICE_ROLES.writer)}`,
    );
    for (const [table, privileges] of Object.entries(SERVICE_TABLE_PRIVILEGES)) {
      if (!(await tableColumns(tx, table))) continue;
      await tx.unsafe(`REVOKE ALL ON ${ident(table)} FROM ${ident(SERVICE_ROLES.writer)}`);
      await tx.unsafe(`GRANT ${privileges.join(', ')} ON ${ident(table)} TO ${ident(SERVICE_ROLES.writer)}`);
    }
    for (const table of Object.values(CATALOGUE)) {
      const columns = await tableColumns(tx, table.name);
      if (!columns) continue;
      const reader = ident(SERVICE_ROLES.reader);
      // Table-level and column-level grants are separate in Postgres: revoke both, then grant the
      // catalogue's columns, so a column dropped from the catalogue is no longer readable.
      await tx.unsafe(`REVOKE ALL ON ${ident(table.name)} FROM ${reader}`);
      await tx.unsafe(
        `REVOKE SELECT (${columns.map(ident).join(', ')}) ON ${ident(table.name)} FROM ${reader}`,
      );
      await tx.unsafe(
        `GRANT SELECT (${table.columns.map((c) => ident(c.name)).join(', ')}) ON ${ident(table.name)} TO ${reader}`,
      );
    }
  });
}

/** Runs `work` in one transaction, on a pool (`begin`) or on a reserved connection (by hand). */
async function inTransaction(sql: Sql | ReservedSql, work: (tx: Queryable) => Promise<void>): Promise<void> {
  if (!('release' in sql)) {
    await sql.begin((tx) => work(tx));
    return;
  }
  // A reserved connection has no `begin()`: the transaction is driven by hand.
  await sql.unsafe('BEGIN');
  try {
    await work(sql);
    await sql.unsafe('COMMIT');
  } catch (error) {
    await sql.unsafe('ROLLBACK').catch(() => {});
    throw error;
  }
}

type Queryable = TransactionSql | ReservedSql;

/** The columns of `public.<table>`, or undefined when there is no such table. */
async function tableColumns(tx: Queryable, table: string): Promise<string[] | undefined> {
  const rows = await tx<{ column_name: string }[]>`
    SELECT column_name FROM information_schema.columns
    WHERE table_schema = 'public' AND table_name = ${table} ORDER BY ordinal_position`;
  return rows.length === 0 ? undefined : rows.map((row) => row.column_name);
}

/**
 * Lets the logins sign in with `password` (local runtime and tests; in AWS they use IAM tokens).
 * `password` must be a generated secret: it is written into the statement as a literal.
 */
export async function setServicePasswords(sql: Sql, password: string): Promise<void> {
  if (!/^[A-Za-z0-9_-]{16,}$/.test(password))
    throw new Error('the service password must be a generated token');
  for (const login of Object.keys(SERVICE_LOGINS)) {
    await sql.unsafe(`ALTER ROLE ${ident(login)} LOGIN PASSWORD '${password}'`);
  }
}

/** `base` (a superuser URL) with another user and password: how a function connects locally. */
export function serviceUrl(base: string, login: ServiceLogin, password: string): string {
  const url = new URL(base);
  url.username = login;
  url.password = password;
  return url.toString();
}
