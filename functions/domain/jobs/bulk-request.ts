import * as z from 'zod/mini';
import { CATALOGUE_TABLES, catalogueTable, NEVER_EXPORTED } from '../catalogue/catalogue.js';
import { DATE_BOUND_RULE, parseDateBound } from '../catalogue/date-bounds.js';
import type { TableFilter } from '../catalogue/table-source.js';
import { COMPRESSIONS, compressionProblem, EXPORT_FORMATS } from '../engine/export-format.js';
import { type FieldIssue, ValidationError } from '../errors.js';
import { parseOrThrow } from '../validation.js';
import { type BulkJobSpec, CONSISTENCY_MODES, JOB_SPEC_VERSION } from './job-spec.js';

const DateFilterSchema = z.strictObject({
  dateFrom: z.optional(z.string().check(z.maxLength(40))),
  dateTo: z.optional(z.string().check(z.maxLength(40))),
});

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

/**
 * Validates a bulk export request against the catalogue. Every problem is reported with its field
 * (`tables[1]`, `filters.users.dateFrom`, `columns.users[0]`), none is silently dropped.
 */
export function parseBulkExportRequest(input: unknown): BulkJobSpec {
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
    v: JOB_SPEC_VERSION,
    kind: 'bulk',
    tables: request.tables,
    filters,
    columns,
    format: request.format,
    compression: request.compression,
    formulaGuard: request.csv?.formulaGuard ?? false,
    consistency: request.consistency,
  };
}
