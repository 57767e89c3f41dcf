/** Postgres type families the encoders care about. */
export type ColumnType =
  | 'uuid'
  | 'text'
  | 'char'
  | 'bigint'
  | 'numeric'
  | 'boolean'
  | 'timestamptz'
  | 'jsonb'
  | 'inet'
  | 'text[]';

/**
 * One output column and its Postgres type, with the modifiers typed formats need: `numeric(p,s)`
 * becomes Parquet DECIMAL(p,s), so the catalogue states precision and scale rather than letting an
 * encoder guess them from values.
 */
export type ColumnSpec =
  | {
      readonly name: string;
      readonly type: Exclude<ColumnType, 'numeric' | 'char'>;
    }
  | {
      readonly name: string;
      readonly type: 'numeric';
      /** `numeric(precision, scale)`; absent for unconstrained `numeric`. */
      readonly precision?: number;
      /** @default 0 when `precision` is set, as in Postgres */
      readonly scale?: number;
    }
  | {
      readonly name: string;
      readonly type: 'char';
      /** `char(length)`: values are blank-padded to this many characters. */
      readonly length: number;
    };

/** Types whose values are free text, where a spreadsheet could read a formula (CSV formula guard). */
export function isTextColumn(column: ColumnSpec): boolean {
  return column.type === 'text' || column.type === 'char';
}

/**
 * The column's type as Postgres's `format_type()` spells it (`numeric(12,2)`, `character(3)`,
 * `timestamp with time zone`): what tests compare the catalogue with, so it cannot drift from the
 * database.
 */
export function columnTypeSql(column: ColumnSpec): string {
  switch (column.type) {
    case 'numeric':
      return column.precision === undefined ? 'numeric' : `numeric(${column.precision},${column.scale ?? 0})`;
    case 'char':
      return `character(${column.length})`;
    case 'timestamptz':
      return 'timestamp with time zone';
    default:
      return column.type;
  }
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
