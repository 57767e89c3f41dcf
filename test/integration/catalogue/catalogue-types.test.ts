import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOGUE, CATALOGUE_TABLES } from '../../../functions/domain/catalogue/catalogue.js';
import { userExportSections } from '../../../functions/domain/catalogue/user-sections.js';
import { columnTypeSql, type ExportSource } from '../../../functions/domain/engine/export-source.js';
import { parseBulkExportRequest } from '../../../functions/domain/jobs/bulk-request.js';
import { SCHEDULES, windowFor } from '../../../functions/domain/schedules/schedule-catalogue.js';
import { bulkSources } from '../../../functions/domain/worker/job-plan.js';
import { DEMO_USER_ID } from '../../../local/demo-data.js';
import { testSql } from '../../support/services.js';

/**
 * Typed formats (Parquet's DECIMAL(p,s), …) take column types from the catalogue, so the catalogue
 * must state what the database holds: these tests ask Postgres itself.
 */
let sql: Sql;
beforeAll(() => {
  sql = testSql();
});
afterAll(async () => {
  await sql.end();
});

/** `name → format_type()` of the columns of a relation. */
async function columnTypes(tx: Sql, relation: string): Promise<Record<string, string>> {
  const rows = await tx<{ name: string; type: string }[]>`
    SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
    WHERE attrelid = ${relation}::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`;
  return Object.fromEntries(rows.map((row) => [row.name, row.type]));
}

/** The output columns of a source's query, as Postgres types them (through a view, never run). */
async function outputTypes(source: ExportSource): Promise<[string, string][]> {
  const rollback = new Error('rollback');
  let types: Record<string, string> = {};
  await sql
    .begin(async (tx) => {
      await tx.unsafe(`CREATE TEMP VIEW source_columns AS ${source.sql}`);
      types = await columnTypes(tx as unknown as Sql, 'source_columns');
      throw rollback;
    })
    .catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
  return Object.entries(types);
}

const declared = (source: ExportSource) => source.columns.map((c) => [c.name, columnTypeSql(c)]);

describe('the export catalogue against the product database', () => {
  it.each(CATALOGUE_TABLES)('declares every column of %s with its database type', async (table) => {
    const types = await columnTypes(sql, table);

    const catalogue = CATALOGUE[table]!.columns.map((c) => [c.name, columnTypeSql(c)]);

    expect(catalogue).toEqual(catalogue.map(([name]) => [name, types[name!]]));
  });

  it('states numeric precision and scale and char length (docs/architecture.md#product-database)', () => {
    const spelled = (table: string, column: string) =>
      columnTypeSql(CATALOGUE[table]!.columns.find((c) => c.name === column)!);

    expect(spelled('courses', 'price')).toBe('numeric(10,2)');
    expect(spelled('enrollments', 'progress')).toBe('numeric(5,2)');
    expect(spelled('transactions', 'amount')).toBe('numeric(12,2)');
    expect(spelled('transactions', 'currency')).toBe('character(3)');
  });

  it.each([
    ...bulkSources(parseBulkExportRequest({ tables: [...CATALOGUE_TABLES], format: 'csv' })).map(
      (source) => [`bulk ${source.name}`, source] as const,
    ),
    ...userExportSections(DEMO_USER_ID).map((source) => [`user export ${source.name}`, source] as const),
    ...SCHEDULES.map(
      (def) =>
        [`schedule ${def.name}`, def.source(windowFor(def, new Date('2024-06-15T01:00:00Z')))] as const,
    ),
  ])('%s declares exactly the columns and types its query returns', async (_label, source) => {
    expect(await outputTypes(source)).toEqual(declared(source));
  });
});
