import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PostgresExportDatabase } from '../../../functions/adapters/postgres/postgres-export-database.js';
import { S3ObjectStore } from '../../../functions/adapters/s3/s3-object-store.js';
import { CATALOGUE, CATALOGUE_TABLES } from '../../../functions/domain/catalogue/catalogue.js';
import { type ColumnSpec, columnTypeSql } from '../../../functions/domain/engine/export-source.js';
import {
  type ExportPlan,
  type ExportSection,
  runExport,
} from '../../../functions/domain/engine/run-export.js';
import { UnrepresentableValueError } from '../../../functions/domain/errors.js';
import { parseBulkExportRequest } from '../../../functions/domain/jobs/bulk-request.js';
import { bulkSources } from '../../../functions/domain/worker/job-plan.js';
import { type ReadValue, readParquet } from '../../support/parquet.js';
import { objectExists, readObject, testS3, testSql } from '../../support/services.js';
import { unzip, zipEntryMethods } from '../../support/zip.js';

let sql: Sql;
const s3 = testS3();
let deps: { database: PostgresExportDatabase; store: S3ObjectStore };
/** A schema of its own for the hard-case table, so other test files never see it. */
const schema = `parquet_test_${process.pid}`;

beforeAll(async () => {
  sql = testSql();
  deps = {
    database: new PostgresExportDatabase(sql),
    store: new S3ObjectStore({ client: s3, bucket: inject('bucket') }),
  };
  await sql.unsafe(`CREATE SCHEMA ${schema}`);
  await sql.unsafe(`
    CREATE TABLE ${schema}.hard (
      id bigint PRIMARY KEY, amount numeric(12,2), wide numeric(30,5), loose numeric, code char(3),
      tags text[], doc jsonb, at timestamptz, ip inet, note text, flag boolean)`);
  // Values as text, cast by Postgres: nothing passes through a JavaScript number or Date first.
  await sql.unsafe(`
    INSERT INTO ${schema}.hard VALUES
      (1, '-9999999999.99', '1234567890123456789012345.67891', 'NaN', 'A', '{user,NULL,""}',
       '{"big": 12345678901234567890.5, "tiny": 1e-30, "emoji": "😀", "n": null}',
       '1969-12-31 23:59:59.999999+00', '::ffff:192.0.2.1', 'Zoë 😀 日本語', true),
      (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '', NULL),
      (3, '0.00', '-0.00001', 'Infinity', 'xyz', '{}', 'null', '0001-01-01 00:00:00+00', '192.0.2.0/24',
       E'ctl \\u0001 crlf\\r\\n tab\\t', false),
      (4, '0.01', '0', '-Infinity', 'a,b', '{"a,b","say \\"hi\\"",NULL}', '[1, "two", {"three": [3]}]',
       '9999-12-31 23:59:59.999999+00', '2001:db8::1', 'quote "inside"', NULL),
      (5, '12.5', '9999999999999999999999999.99999', '-0.000000000000000000001', '   ', '{NULL}', '"just a string"',
       '2024-02-29 23:59:59.000001+00', '10.0.0.1', '=1+1', true)`);
});
afterAll(async () => {
  await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await sql.end();
});

let counter = 0;
function plan(sections: ExportSection[], format: ExportPlan['format'] = 'parquet'): ExportPlan {
  counter++;
  return {
    sections,
    format,
    compression: 'none',
    formulaGuard: false,
    keyBase: `exports/parquet-test-${process.pid}-${counter}/export`,
    fileName: 'export',
  };
}

function tablePlan(body: Record<string, unknown>, format: ExportPlan['format'] = 'parquet'): ExportPlan {
  return plan(bulkSources(parseBulkExportRequest({ format, ...body })), format);
}

const HARD_COLUMNS: ColumnSpec[] = [
  { name: 'id', type: 'bigint' },
  { name: 'amount', type: 'numeric', precision: 12, scale: 2 },
  { name: 'wide', type: 'numeric', precision: 30, scale: 5 },
  { name: 'loose', type: 'numeric' },
  { name: 'code', type: 'char', length: 3 },
  { name: 'tags', type: 'text[]' },
  { name: 'doc', type: 'jsonb' },
  { name: 'at', type: 'timestamptz' },
  { name: 'ip', type: 'inet' },
  { name: 'note', type: 'text' },
  { name: 'flag', type: 'boolean' },
];
const hardSource = (): ExportSection => ({
  name: 'hard',
  sql: `SELECT ${HARD_COLUMNS.map((c) => `"${c.name}"`).join(', ')} FROM ${schema}.hard ORDER BY id`,
  params: {},
  columns: HARD_COLUMNS,
});

async function exportRows(p: ExportPlan) {
  const result = await runExport(deps, p);
  return { result, body: await readObject(s3, result.objectKey) };
}

/** ISO 8601 as row_to_json prints timestamptz (UTC session) → microseconds since the Unix epoch. */
function isoMicros(iso: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00:00$/.exec(iso);
  if (!match) throw new Error(`unexpected timestamp text ${iso}`);
  const seconds = BigInt(Date.parse(`${match[1]}Z`)) / 1000n;
  return String(seconds * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0')));
}

/**
 * A JSON export value (parsed losslessly: numbers keep their text) in the form the Parquet reader
 * gives for a column of `column`'s type.
 */
function fromJsonExport(column: ColumnSpec, value: unknown): ReadValue {
  if (value === null) return null;
  if (isLosslessNumber(value)) return value.value;
  if (column.type === 'timestamptz') return isoMicros(value as string);
  // jsonb is nested in the JSON export; Parquet carries its text, compared below after parsing.
  if (column.type === 'jsonb')
    return JSON.stringify(value, (_k, v) => (isLosslessNumber(v) ? { number: v.value } : v));
  return value as ReadValue;
}

/** The Parquet value of a jsonb column in the same canonical form as `fromJsonExport`. */
const jsonCanonical = (text: ReadValue) =>
  text === null ? null : fromJsonExport({ name: '', type: 'jsonb' }, parseLossless(text as string));

/** The JSON export (NDJSON, one row_to_json object a line) of the same sections, parsed losslessly. */
async function jsonExport(sections: ExportSection[]): Promise<Record<string, unknown>[]> {
  const { body } = await exportRows(plan(sections, 'ndjson'));
  return body
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => parseLossless(line) as Record<string, unknown>);
}

/**
 * The Postgres oracle, written independently of the encoder's SELECT: each column rendered by
 * Postgres as text (its output function; integer microseconds for timestamps), read as text.
 */
async function postgresRows(source: ExportSection): Promise<Record<string, ReadValue>[]> {
  const render = (c: ColumnSpec) => {
    const col = `t."${c.name}"`;
    switch (c.type) {
      case 'timestamptz':
        return `(extract(epoch FROM ${col}) * 1000000)::bigint::text`;
      case 'boolean':
        return col;
      case 'text[]':
        return `to_json(${col})::text`;
      case 'jsonb':
        return `${col}::text`;
      default:
        return `to_json(${col}) #>> '{}'`;
    }
  };
  const query = `SELECT ${source.columns.map((c) => `${render(c)} AS "${c.name}"`).join(', ')} FROM (${source.sql}) t`;
  const rows = await sql.begin(async (tx) => {
    for (const [name, value] of Object.entries(source.params))
      await tx`SELECT set_config(${`export.${name}`}, ${value}, true)`;
    return tx.unsafe<Record<string, string | boolean | null>[]>(query);
  });
  return rows.map((row) =>
    Object.fromEntries(
      source.columns.map((c) => {
        const value = row[c.name] ?? null;
        return [c.name, c.type === 'text[]' && value !== null ? JSON.parse(value as string) : value];
      }),
    ),
  );
}

/** Asserts every value of every row equals the JSON export's and Postgres's. */
async function expectSameValues(source: ExportSection, read: readonly Record<string, ReadValue>[]) {
  const json = await jsonExport([source]);
  const postgres = await postgresRows(source);
  expect(read).toHaveLength(postgres.length);
  expect(json).toHaveLength(postgres.length);
  const jsonColumns = source.columns.filter((c) => c.type === 'jsonb').map((c) => c.name);
  const canonical = (row: Record<string, ReadValue>) => {
    const copy = { ...row };
    for (const name of jsonColumns) copy[name] = jsonCanonical(copy[name] ?? null);
    return copy;
  };
  const fromJson = json.map((row) =>
    Object.fromEntries(source.columns.map((c) => [c.name, fromJsonExport(c, row[c.name])])),
  );
  // jsonb: the very text Postgres prints, byte for byte.
  expect(read).toEqual(postgres);
  // Every other value as the JSON export gives it; jsonb documents compared parsed.
  expect(read.map(canonical)).toEqual(fromJson);
}

describe('Parquet export, read back with DuckDB', () => {
  it.each(CATALOGUE_TABLES)(
    'writes %s with every value equal to the JSON export and Postgres',
    async (table) => {
      const p = tablePlan({ tables: [table] });

      const { result, body } = await exportRows(p);

      expect(result.objectKey).toMatch(/\/export\.parquet$/);
      expect(result.contentType).toBe('application/vnd.apache.parquet');
      const read = await readParquet(body, 'id');
      expect(result.rows).toBe(read.rows.length);
      expect(Object.keys(read.types)).toEqual(CATALOGUE[table]!.columns.map((c) => c.name));
      await expectSameValues(p.sections[0]!, read.rows);
    },
  );

  it('types each column as the catalogue declares it', async () => {
    const { body } = await exportRows(tablePlan({ tables: ['transactions'] }));

    const read = await readParquet(body);

    expect(read.types).toEqual({
      id: 'BIGINT',
      user_id: 'VARCHAR',
      amount: 'DECIMAL(12,2)',
      currency: 'VARCHAR',
      status: 'VARCHAR',
      description: 'VARCHAR',
      metadata: 'JSON',
      created_at: 'TIMESTAMP WITH TIME ZONE',
    });
    expect(read.keyValues.exported_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('keeps the hard cases exact: NaN, 20-digit numbers in jsonb, µs, NULL elements, "" vs NULL, emoji', async () => {
    const { body } = await exportRows(plan([hardSource()]));

    const read = await readParquet(body, 'id');

    await expectSameValues(hardSource(), read.rows);
    expect(read.types).toMatchObject({ wide: 'DECIMAL(30,5)', loose: 'VARCHAR', tags: 'VARCHAR[]' });
    const [first, second] = read.rows;
    expect(first).toMatchObject({
      loose: 'NaN',
      code: 'A  ',
      tags: ['user', null, ''],
      at: '-1',
      note: 'Zoë 😀 日本語',
    });
    expect(first!.doc).toContain('12345678901234567890.5');
    expect(second).toMatchObject({ note: '', tags: null, doc: null, amount: null });
  });

  it('holds the catalogue types of the hard-case table to the database', async () => {
    const declared = await sql<{ name: string; type: string }[]>`
      SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = ${`${schema}.hard`}::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`;

    expect(declared).toEqual(HARD_COLUMNS.map((c) => ({ name: c.name, type: columnTypeSql(c) })));
  });

  it.each<[string, string, ColumnSpec, RegExp]>([
    [
      'NaN in a DECIMAL column',
      "SELECT 'NaN'::numeric(12,2) AS v",
      { name: 'v', type: 'numeric', precision: 12, scale: 2 },
      /^odd\.v: NaN is not a DECIMAL\(12,2\) value$/,
    ],
    [
      'an infinite timestamp',
      "SELECT 'infinity'::timestamptz AS v",
      { name: 'v', type: 'timestamptz' },
      /^odd\.v: infinity has no Parquet TIMESTAMP value$/,
    ],
    [
      'a two-dimensional text[]',
      "SELECT '{{a,b},{c,d}}'::text[] AS v",
      { name: 'v', type: 'text[]' },
      /^odd\.v: a multidimensional array/,
    ],
  ])('fails on %s, naming it, and stores nothing', async (_label, query, column, message) => {
    const p = plan([{ name: 'odd', sql: query, params: {}, columns: [column] }]);

    const exporting = runExport(deps, p);

    await expect(exporting).rejects.toThrow(UnrepresentableValueError);
    await expect(exporting).rejects.toThrow(message);
    expect(await objectExists(s3, `${p.keyBase}.parquet`)).toBe(false);
  });

  it('writes one stored (not deflated) Parquet file per table into a zip for several tables', async () => {
    const p = tablePlan({ tables: ['users', 'courses', 'transactions'] });

    const { result, body } = await exportRows(p);

    expect(result.objectKey).toMatch(/\.zip$/);
    const files = await unzip(body);
    expect([...files.keys()]).toEqual(['users.parquet', 'courses.parquet', 'transactions.parquet']);
    expect(await zipEntryMethods(body)).toEqual({
      'users.parquet': 'stored',
      'courses.parquet': 'stored',
      'transactions.parquet': 'stored',
    });
    for (const [i, section] of p.sections.entries()) {
      const read = await readParquet(files.get(`${section.name}.parquet`)!, 'id');
      expect(read.rows).toHaveLength(result.tables[i]!.rows);
      await expectSameValues(section, read.rows);
    }
  });

  it('writes a file with the whole schema and no rows when the filter matches nothing', async () => {
    const p = tablePlan({ tables: ['courses'], filters: { courses: { dateFrom: '2999-01-01' } } });

    const { result, body } = await exportRows(p);

    const read = await readParquet(body);
    expect(result.rows).toBe(0);
    expect(read.rows).toEqual([]);
    expect(read.types).toEqual({
      id: 'BIGINT',
      title: 'VARCHAR',
      price: 'DECIMAL(10,2)',
      created_at: 'TIMESTAMP WITH TIME ZONE',
    });
  });
});
