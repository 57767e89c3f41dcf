import * as z from 'zod/mini';
import { COMPRESSIONS, compressionProblem, EXPORT_FORMATS } from '../engine/export-format.js';
import { type ExportSource, paramRef } from '../engine/export-source.js';
import { type FieldIssue, ValidationError } from '../errors.js';
import { parseOrThrow } from '../validation.js';
import {
  CATALOGUE_TABLES,
  type CatalogueTable,
  catalogueTable,
  NEVER_EXPORTED,
  quoteIdent,
} from './catalogue.js';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = z.iso.datetime({ offset: true, precision: undefined });
const OFFSET = /([+-])(\d{2}):(\d{2})$/;

/**
 * The instants a date may name: UTC years 1 to 9999. Postgres holds a wider range, but it refuses
 * year 0, and dates reach it as ISO 8601 text with four-digit years, also when JavaScript writes
 * them (`toISOString` of a `since` or a schedule window), so an instant outside these years would
 * be a database error at run time instead of a 400 now.
 */
export const EARLIEST_DATE = '0001-01-01';
export const LATEST_DATE = '9999-12-31';
const EARLIEST_INSTANT = Date.parse(`${EARLIEST_DATE}T00:00:00.000Z`);
const LATEST_INSTANT = Date.parse(`${LATEST_DATE}T23:59:59.999Z`);
/** Postgres reads UTC offsets up to 15:59 either way; `-23:59` is a syntax ISO allows and Postgres refuses. */
const MAX_OFFSET_MINUTES = 15 * 60 + 59;

/** What every date field of the API must be; the message of a 400 for one that is not. */
export const DATE_BOUND_RULE = `must be an ISO 8601 date or date-time with an offset within ±15:59, from ${EARLIEST_DATE} to ${LATEST_DATE} UTC`;

/** A validated date bound: either a calendar day (UTC) or an instant with an explicit offset. */
export interface DateBound {
  readonly value: string;
  readonly dateOnly: boolean;
}

/** True when `instant` (ms since the epoch) lies in the range every date of the service must keep to. */
export function isInDateRange(instant: number): boolean {
  return instant >= EARLIEST_INSTANT && instant <= LATEST_INSTANT;
}

/**
 * Validates an ISO 8601 date (`2024-01-31`) or date-time with offset, within the range Postgres and
 * the service accept (see {@link DATE_BOUND_RULE}); returns undefined when invalid. Every date the
 * API takes goes through here: bulk filters, `/metrics?since`, schedule dates and `/jobs` cursors.
 */
export function parseDateBound(value: string): DateBound | undefined {
  const day = DATE_ONLY.exec(value);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const date = new Date(Date.parse(`${day[1]}-${day[2]}-${day[3]}T00:00:00.000Z`));
    const valid = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
    return valid && isInDateRange(date.getTime()) ? { value, dateOnly: true } : undefined;
  }
  if (!z.safeParse(DATE_TIME, value).success) return undefined;
  const offset = OFFSET.exec(value);
  if (offset && Number(offset[2]) * 60 + Number(offset[3]) > MAX_OFFSET_MINUTES) return undefined;
  return isInDateRange(Date.parse(value)) ? { value, dateOnly: false } : undefined;
}

const DateFilterSchema = z.strictObject({
  dateFrom: z.optional(z.string().check(z.maxLength(40))),
  dateTo: z.optional(z.string().check(z.maxLength(40))),
});

/**
 * How a chunked job's files relate in time (docs/chunked-exports.md), as its manifest states it:
 * - `chunked`: each chunk reads its own snapshot; every row that existed when the job was planned
 *   appears exactly once, with no limit in size or time;
 * - `snapshot`: every chunk reads one exported snapshot, shared by parallel readers inside the
 *   one invocation that holds it, so the job must finish within that invocation.
 */
export const CONSISTENCY_MODES = ['chunked', 'snapshot'] as const;
export type ConsistencyMode = (typeof CONSISTENCY_MODES)[number];

/** The body of `POST /bulk` (docs/api.md). `columns` optionally narrows a table to some catalogue columns. */
const Name = z.string().check(z.maxLength(64));

export const BulkExportRequestSchema = z.strictObject({
  tables: z.array(Name).check(z.minLength(1), z.maxLength(CATALOGUE_TABLES.length)),
  filters: z.optional(z.record(Name, DateFilterSchema)),
  columns: z.optional(z.record(Name, z.array(Name).check(z.minLength(1), z.maxLength(64)))),
  format: z
    .enum(EXPORT_FORMATS)
    .check(z.describe('parquet: one Parquet file per table, typed from the catalogue')),
  compression: z
    ._default(z.enum(COMPRESSIONS), 'none')
    .check(z.describe('gzip the file (not for parquet, which compresses inside the file)')),
  csv: z.optional(z.strictObject({ formulaGuard: z.optional(z.boolean()) })),
  consistency: z
    ._default(z.enum(CONSISTENCY_MODES), 'chunked')
    .check(
      z.describe(
        'for a job split into chunks: chunked (every row existing when planned, exactly once; any size) or snapshot (all files one instant; must finish within one worker invocation)',
      ),
    ),
});
export type BulkExportRequest = z.input<typeof BulkExportRequestSchema>;

export interface TableFilter {
  readonly dateFrom?: string;
  readonly dateTo?: string;
}

/** A bulk export request checked against the catalogue; what a job row stores. */
export interface BulkExportSpec {
  readonly tables: readonly string[];
  readonly filters: Readonly<Record<string, TableFilter>>;
  readonly columns: Readonly<Record<string, readonly string[]>>;
  readonly format: (typeof EXPORT_FORMATS)[number];
  readonly compression: (typeof COMPRESSIONS)[number];
  readonly formulaGuard: boolean;
  readonly consistency: ConsistencyMode;
}

/**
 * Validates a bulk export request against the catalogue. Every problem is reported with its field
 * (`tables[1]`, `filters.users.dateFrom`, `columns.users[0]`), none is silently dropped.
 */
export function parseBulkExportRequest(input: unknown): BulkExportSpec {
  const request = parseOrThrow(BulkExportRequestSchema, input);
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  request.tables.forEach((name, i) => {
    if (!catalogueTable(name)) issues.push({ field: `tables[${i}]`, message: `unknown table '${name}'` });
    else if (seen.has(name)) issues.push({ field: `tables[${i}]`, message: `duplicate table '${name}'` });
    seen.add(name);
  });
  const filters: Record<string, TableFilter> = {};
  for (const [name, filter] of Object.entries(request.filters ?? {})) {
    if (!seen.has(name) || !catalogueTable(name)) {
      issues.push({ field: `filters.${name}`, message: 'filter for a table that is not exported' });
      continue;
    }
    const from = filter.dateFrom === undefined ? undefined : parseDateBound(filter.dateFrom);
    const to = filter.dateTo === undefined ? undefined : parseDateBound(filter.dateTo);
    if (filter.dateFrom !== undefined && !from)
      issues.push({ field: `filters.${name}.dateFrom`, message: DATE_BOUND_RULE });
    if (filter.dateTo !== undefined && !to)
      issues.push({ field: `filters.${name}.dateTo`, message: DATE_BOUND_RULE });
    if (from && to && Date.parse(from.value) > Date.parse(to.value))
      issues.push({ field: `filters.${name}.dateTo`, message: 'must not be before dateFrom' });
    filters[name] = { ...(from && { dateFrom: from.value }), ...(to && { dateTo: to.value }) };
  }
  const columns: Record<string, readonly string[]> = {};
  for (const [name, wanted] of Object.entries(request.columns ?? {})) {
    const table = catalogueTable(name);
    if (!table || !seen.has(name)) {
      issues.push({ field: `columns.${name}`, message: 'columns for a table that is not exported' });
      continue;
    }
    const allowed = new Set(table.columns.map((c) => c.name));
    wanted.forEach((column, i) => {
      if (NEVER_EXPORTED.has(column))
        issues.push({ field: `columns.${name}[${i}]`, message: `column '${column}' is never exported` });
      else if (!allowed.has(column))
        issues.push({ field: `columns.${name}[${i}]`, message: `unknown column '${column}'` });
    });
    if (new Set(wanted).size !== wanted.length)
      issues.push({ field: `columns.${name}`, message: 'duplicate column' });
    columns[name] = wanted;
  }
  const compression = compressionProblem(request.format, request.compression);
  if (compression) issues.push({ field: 'compression', message: compression });
  if (issues.length > 0) throw new ValidationError(issues);
  return {
    tables: request.tables,
    filters,
    columns,
    format: request.format,
    compression: request.compression,
    formulaGuard: request.csv?.formulaGuard ?? false,
    consistency: request.consistency,
  };
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

/** The sources of a validated bulk export, in request order. */
export function bulkSources(spec: BulkExportSpec): ExportSource[] {
  return spec.tables.map((name) => {
    const table = catalogueTable(name);
    if (!table) throw ValidationError.field('tables', `unknown table '${name}'`);
    return tableSource(table, spec.filters[name], spec.columns[name]);
  });
}
