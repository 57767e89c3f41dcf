import { type ExportSource, paramRef } from '../engine/export-source.js';
import { ValidationError } from '../errors.js';
import { type CatalogueTable, quoteIdent } from './catalogue.js';
import { parseDateBound } from './date-bounds.js';

/** A date range on a table's date column; a date-only `dateTo` includes that whole day. */
export interface TableFilter {
  readonly dateFrom?: string;
  readonly dateTo?: string;
}

/**
 * A primary-key range `(after, upTo]` of a table, keys as their text; an absent bound is open.
 * Chunks and their slices read such ranges (docs/chunked-exports.md).
 */
export interface KeyRange {
  readonly after?: string | null;
  readonly upTo?: string | null;
}

/** The Postgres type of a catalogue table's primary key, for casting its bound parameters. */
export function primaryKeyType(table: CatalogueTable): string {
  const column = table.columns.find((c) => c.name === table.primaryKey);
  if (!column) throw new Error(`the primary key of ${table.name} is not in the catalogue`);
  return column.type;
}

/**
 * Builds the SELECT for one catalogue table. Identifiers come from the catalogue only; the date
 * bounds travel as bound parameters (see `paramRef`). A date-only `dateTo` includes that whole day.
 */
export function tableSource(
  table: CatalogueTable,
  filter: TableFilter = {},
  columnNames?: readonly string[],
  range: KeyRange = {},
): ExportSource {
  const columns = columnNames
    ? columnNames.map((name) => {
        const column = table.columns.find((c) => c.name === name);
        if (!column) throw ValidationError.field(`columns.${table.name}`, `unknown column '${name}'`);
        return column;
      })
    : table.columns;
  const where: string[] = [];
  const params: Record<string, string> = {};
  const dateColumn = quoteIdent(table.dateColumn);
  const prefix = table.name;
  if (filter.dateFrom) {
    const bound = parseDateBound(filter.dateFrom);
    if (!bound) throw ValidationError.field(`filters.${table.name}.dateFrom`, 'invalid date');
    params[`${prefix}_from`] = bound.value;
    where.push(`${dateColumn} >= ${paramRef(`${prefix}_from`, bound.dateOnly ? 'date' : 'timestamptz')}`);
  }
  if (filter.dateTo) {
    const bound = parseDateBound(filter.dateTo);
    if (!bound) throw ValidationError.field(`filters.${table.name}.dateTo`, 'invalid date');
    params[`${prefix}_to`] = bound.value;
    where.push(
      bound.dateOnly
        ? `${dateColumn} < ${paramRef(`${prefix}_to`, 'date')} + 1`
        : `${dateColumn} <= ${paramRef(`${prefix}_to`, 'timestamptz')}`,
    );
  }
  const key = quoteIdent(table.primaryKey);
  if (range.after != null) {
    params[`${prefix}_key_after`] = range.after;
    where.push(`${key} > ${paramRef(`${prefix}_key_after`, primaryKeyType(table))}`);
  }
  if (range.upTo != null) {
    params[`${prefix}_key_upto`] = range.upTo;
    where.push(`${key} <= ${paramRef(`${prefix}_key_upto`, primaryKeyType(table))}`);
  }
  const select = columns.map((c) => quoteIdent(c.name)).join(', ');
  const sql =
    `SELECT ${select} FROM ${quoteIdent(table.name)}` +
    (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY ${key}`;
  return { name: table.name, sql, params, columns };
}
