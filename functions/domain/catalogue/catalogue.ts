import type { ColumnSpec } from '../engine/export-source.js';

/** One exportable table: its exportable columns (in export order) and the column date filters apply to. */
export interface CatalogueTable {
  readonly name: string;
  readonly columns: readonly ColumnSpec[];
  readonly dateColumn: string;
  /** Column holding the owning user's id, for user exports. */
  readonly userColumn: string;
  /**
   * The primary key (one column, among `columns`): rows are read in its order, and a large table
   * is split into ranges of it (docs/chunked-exports.md).
   */
  readonly primaryKey: string;
}

const table = (name: string, dateColumn: string, userColumn: string, columns: ColumnSpec[]): CatalogueTable =>
  Object.freeze({
    name,
    dateColumn,
    userColumn,
    primaryKey: 'id',
    columns: Object.freeze(columns.map((c) => Object.freeze(c))),
  });

/**
 * The export catalogue: the only tables and columns any export may read. Reviewed like code.
 * `users.password_hash` and `users.mfa_secret` are deliberately absent, so no path can select them.
 * Column types are the database's own, modifiers included (`numeric(12,2)`, `char(3)`): typed
 * formats such as Parquet take them from here, and a test holds them to the real tables.
 */
export const CATALOGUE: Readonly<Record<string, CatalogueTable>> = Object.freeze({
  users: table('users', 'created_at', 'id', [
    { name: 'id', type: 'uuid' },
    { name: 'email', type: 'text' },
    { name: 'full_name', type: 'text' },
    { name: 'roles', type: 'text[]' },
    { name: 'locale', type: 'text' },
    { name: 'marketing_opt_in', type: 'boolean' },
    { name: 'created_at', type: 'timestamptz' },
    { name: 'updated_at', type: 'timestamptz' },
  ]),
  courses: table('courses', 'created_at', '', [
    { name: 'id', type: 'bigint' },
    { name: 'title', type: 'text' },
    { name: 'price', type: 'numeric', precision: 10, scale: 2 },
    { name: 'created_at', type: 'timestamptz' },
  ]),
  enrollments: table('enrollments', 'created_at', 'user_id', [
    { name: 'id', type: 'bigint' },
    { name: 'user_id', type: 'uuid' },
    { name: 'course_id', type: 'bigint' },
    { name: 'status', type: 'text' },
    { name: 'progress', type: 'numeric', precision: 5, scale: 2 },
    { name: 'enrolled_at', type: 'timestamptz' },
    { name: 'completed_at', type: 'timestamptz' },
    { name: 'created_at', type: 'timestamptz' },
  ]),
  transactions: table('transactions', 'created_at', 'user_id', [
    { name: 'id', type: 'bigint' },
    { name: 'user_id', type: 'uuid' },
    { name: 'amount', type: 'numeric', precision: 12, scale: 2 },
    { name: 'currency', type: 'char', length: 3 },
    { name: 'status', type: 'text' },
    { name: 'description', type: 'text' },
    { name: 'metadata', type: 'jsonb' },
    { name: 'created_at', type: 'timestamptz' },
  ]),
  activity_logs: table('activity_logs', 'created_at', 'user_id', [
    { name: 'id', type: 'bigint' },
    { name: 'user_id', type: 'uuid' },
    { name: 'action', type: 'text' },
    { name: 'ip_address', type: 'inet' },
    { name: 'user_agent', type: 'text' },
    { name: 'details', type: 'jsonb' },
    { name: 'created_at', type: 'timestamptz' },
  ]),
});

export const CATALOGUE_TABLES: readonly string[] = Object.freeze(Object.keys(CATALOGUE));

/** Columns no export may ever contain, whatever the catalogue says; checked again by the query builder. */
export const NEVER_EXPORTED: ReadonlySet<string> = new Set(['password_hash', 'mfa_secret']);

/** One exportable table as clients see it: what `GET /catalogue` answers. */
export interface CatalogueTableView {
  readonly name: string;
  /** The column `filters.<table>.dateFrom` / `dateTo` apply to. */
  readonly dateColumn: string;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

/** The catalogue as data for clients (forms pick tables and columns from it); nothing else is exportable. */
export function describeCatalogue(): { readonly tables: readonly CatalogueTableView[] } {
  return {
    tables: CATALOGUE_TABLES.map((name) => {
      const table = CATALOGUE[name]!;
      return {
        name: table.name,
        dateColumn: table.dateColumn,
        columns: table.columns.map((column) => ({ name: column.name, type: column.type })),
      };
    }),
  };
}

export function catalogueTable(name: string): CatalogueTable | undefined {
  return Object.hasOwn(CATALOGUE, name) ? CATALOGUE[name] : undefined;
}

/** Quotes an identifier that the catalogue already vouches for (defence in depth, never request text). */
export function quoteIdent(identifier: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(identifier) || NEVER_EXPORTED.has(identifier)) {
    throw new Error(`identifier not allowed: ${identifier}`);
  }
  return `"${identifier}"`;
}
