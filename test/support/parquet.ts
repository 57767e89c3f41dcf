import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBTimestampTZValue,
} from '@duckdb/node-api';

/** A value as read back, in a form that compares exactly: numbers as their decimal text. */
export type ReadValue = string | boolean | null | ReadValue[];

export interface ParquetContents {
  /** `column → DuckDB type` as `DESCRIBE` prints it, e.g. `DECIMAL(12,2)`, `JSON`, `VARCHAR[]`. */
  readonly types: Readonly<Record<string, string>>;
  readonly rows: readonly Readonly<Record<string, ReadValue>>[];
  /** Rows in each row group, in file order. */
  readonly rowGroups: readonly number[];
  readonly keyValues: Readonly<Record<string, string>>;
}

/**
 * Reads a Parquet file with DuckDB, a reader independent of the writer. Integers and decimals come
 * back as their exact decimal text, timestamps as integer microseconds since the Unix epoch (text),
 * lists as arrays, SQL NULL as null.
 */
export async function readParquet(bytes: Uint8Array, orderBy?: string): Promise<ParquetContents> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parquet-oracle-'));
  const file = path.join(dir, 'export.parquet');
  writeFileSync(file, bytes);
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  try {
    const from = `read_parquet('${file}')`;
    const described = await db.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
    const types = Object.fromEntries(
      described.getRowObjects().map((row) => [String(row.column_name), String(row.column_type)]),
    );
    const result = await db.runAndReadAll(`SELECT * FROM ${from}${orderBy ? ` ORDER BY ${orderBy}` : ''}`);
    const rows = result
      .getRowObjects()
      .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, normalise(v)])));
    const groups = await db.runAndReadAll(
      `SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata('${file}') ORDER BY row_group_id`,
    );
    const keyValues = await db.runAndReadAll(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata('${file}')`,
    );
    return {
      types,
      rows,
      rowGroups: groups.getRowObjects().map((row) => Number(row.row_group_num_rows)),
      keyValues: Object.fromEntries(
        keyValues.getRowObjects().map((row) => [String(row.key), String(row.value)]),
      ),
    };
  } finally {
    db.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

function normalise(value: unknown): ReadValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint' || typeof value === 'number') return String(value);
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof DuckDBDecimalValue) return value.toString();
  if (value instanceof DuckDBTimestampTZValue) return String(value.micros);
  if (value instanceof DuckDBListValue) return value.items.map(normalise);
  throw new Error(`no normal form for ${String(value)} (${value?.constructor?.name})`);
}
