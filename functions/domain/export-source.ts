/** Postgres type families the encoders care about. */
export type ColumnType =
  | 'uuid'
  | 'text'
  | 'bigint'
  | 'numeric'
  | 'boolean'
  | 'timestamptz'
  | 'jsonb'
  | 'inet'
  | 'text[]';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

/**
 * One named result set of an export (a table, a user-export section, a scheduled query).
 * `sql` is built only from catalogue identifiers; every value from outside reaches Postgres through
 * `params`, which the engine binds with `set_config` and the query reads with
 * `current_setting('export.<name>')` (COPY cannot take bind parameters).
 */
export interface ExportSource {
  /** File or element name: a catalogue table name or a section name. */
  readonly name: string;
  /** A SELECT whose output columns are exactly `columns`, in that order. */
  readonly sql: string;
  readonly params: Readonly<Record<string, string>>;
  readonly columns: readonly ColumnSpec[];
}

/** The SQL expression reading a bound parameter, cast to `type`. `name` must be a plain identifier. */
export function paramRef(name: string, type: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid parameter name ${name}`);
  return `current_setting('export.${name}')::${type}`;
}
