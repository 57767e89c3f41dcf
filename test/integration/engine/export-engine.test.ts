import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PostgresExportDatabase } from '../../../functions/adapters/postgres/postgres-export-database.js';
import { S3ObjectStore } from '../../../functions/adapters/s3/s3-object-store.js';
import { CATALOGUE, CATALOGUE_TABLES } from '../../../functions/domain/catalogue/catalogue.js';
import { coalesce } from '../../../functions/domain/engine/encoding/coalesce.js';
import type { ExportFormat } from '../../../functions/domain/engine/export-format.js';
import type { ExportSource } from '../../../functions/domain/engine/export-source.js';
import {
  type ExportPlan,
  type ExportProgress,
  runExport,
} from '../../../functions/domain/engine/run-export.js';
import { ValidationError } from '../../../functions/domain/errors.js';
import { parseBulkExportRequest } from '../../../functions/domain/jobs/bulk-request.js';
import { bulkSources } from '../../../functions/domain/worker/job-plan.js';
import {
  copyToBuffer,
  objectExists,
  readObject,
  serviceSql,
  testS3,
  testSql,
} from '../../support/services.js';
import { unzip } from '../../support/zip.js';

let sql: Sql;
const s3 = testS3();
let deps: { database: PostgresExportDatabase; store: S3ObjectStore };

let workerSql: Sql;

beforeAll(() => {
  sql = testSql();
  // The engine reads as the worker's least-privilege login; the oracles read as the owner.
  workerSql = serviceSql('worker');
  deps = {
    database: new PostgresExportDatabase(workerSql),
    store: new S3ObjectStore({ client: s3, bucket: inject('bucket') }),
  };
});
afterAll(async () => {
  await Promise.all([sql.end(), workerSql.end()]);
});

let counter = 0;
function planFor(body: unknown, extra: Partial<ExportPlan> = {}): ExportPlan {
  const spec = parseBulkExportRequest(body);
  counter++;
  return {
    sections: bulkSources(spec),
    format: spec.format,
    compression: spec.compression,
    formulaGuard: spec.formulaGuard,
    keyBase: `exports/engine-test-${process.pid}-${counter}/export`,
    fileName: 'export',
    ...extra,
  };
}

/** The plain query the oracle runs, written here independently of the query builder. */
function oracleQuery(table: string): string {
  const columns = CATALOGUE[table]!.columns.map((c) => `"${c.name}"`).join(', ');
  return `SELECT ${columns} FROM "${table}" ORDER BY "id"`;
}

/** Oracle: `psql \copy (query) TO STDOUT WITH CSV HEADER`, the command the design promises byte-identity with. */
function psqlCopy(query: string): Buffer {
  return execFileSync(
    'psql',
    [inject('databaseUrl'), '-X', '-q', '-c', `\\copy (${query}) TO STDOUT WITH CSV HEADER`],
    {
      env: { ...process.env, PGTZ: 'UTC', PGDATESTYLE: 'ISO, MDY' },
      maxBuffer: 256 * 1024 * 1024,
    },
  );
}
const hasPsql = spawnSync('psql', ['--version']).status === 0;

async function exportOne(table: string, format: ExportFormat, extra: Record<string, unknown> = {}) {
  const plan = planFor({ tables: [table], format, ...extra });
  const result = await runExport(deps, plan);
  return { result, body: await readObject(s3, result.objectKey) };
}

async function rowToJsonLines(table: string): Promise<string[]> {
  const rows = await sql.begin(async (tx) => {
    await tx`SELECT set_config('TimeZone', 'UTC', true)`;
    return tx.unsafe<{ j: string }[]>(`SELECT row_to_json(t)::text AS j FROM (${oracleQuery(table)}) t`);
  });
  return rows.map((r) => r.j);
}

describe('CSV', () => {
  it.each(CATALOGUE_TABLES)('exports %s byte-identical to COPY … WITH CSV HEADER', async (table) => {
    const { result, body } = await exportOne(table, 'csv');

    const [{ n }] = (await sql.unsafe(`SELECT count(*)::int AS n FROM "${table}"`)) as unknown as [
      { n: number },
    ];
    expect(result.rows).toBe(n);
    expect(result.tables).toEqual([{ name: table, rows: n }]);
    const expected = await copyToBuffer(sql, `COPY (${oracleQuery(table)}) TO STDOUT WITH CSV HEADER`);
    expect(body.equals(expected)).toBe(true);
  });

  it('counts the rows of a COPY by its chunks, one per row, also for cells with line breaks', async () => {
    // Arrange: rows whose cells hold LF, CRLF and quotes, so their CSV records span several lines
    const values = `SELECT * FROM (VALUES (1, E'a\\nb'), (2, E'c\\r\\nd"e\\n'), (3, NULL), (4, '')) v(id, note)`;
    const counted: Record<string, number> = {};

    // Act: each COPY through coalesce, as the engine reads it
    await deps.database.withSnapshot(async (snapshot) => {
      for (const [name, statement] of [
        ['csv', `COPY (${values}) TO STDOUT WITH (FORMAT csv, HEADER true)`],
        ['json', `COPY (SELECT row_to_json(v) FROM (${values}) v) TO STDOUT`],
      ] as const) {
        counted[name] = 0;
        await pipeline(
          await snapshot.copyOut(statement, {}),
          coalesce(8, (n) => (counted[name]! += n)),
          new Writable({ write: (_chunk, _encoding, callback) => callback() }),
        );
      }
    });

    // Assert: 4 rows (and the header), though the CSV has 8 line breaks
    const csv = await copyToBuffer(sql, `COPY (${values}) TO STDOUT WITH (FORMAT csv, HEADER true)`);
    expect(csv.toString().split('\n').length - 1).toBe(8);
    expect((parse(csv) as unknown[]).length).toBe(5);
    expect(counted).toEqual({ csv: 5, json: 4 });
  });

  it.runIf(hasPsql)('matches psql \\copy for the table with the hard cases', async () => {
    const { body } = await exportOne('transactions', 'csv');

    expect(body.equals(psqlCopy(oracleQuery('transactions')))).toBe(true);
  });

  it('writes NULL as an empty unquoted field and the empty string as ""', async () => {
    const { body } = await exportOne('transactions', 'csv', {
      columns: { transactions: ['id', 'description'] },
    });

    const lines = body.toString('utf8').split('\n');
    const nullRows = await sql`SELECT id FROM transactions WHERE description IS NULL ORDER BY id LIMIT 1`;
    const emptyRows = await sql`SELECT id FROM transactions WHERE description = '' ORDER BY id LIMIT 1`;
    expect(nullRows.length).toBe(1);
    expect(emptyRows.length).toBe(1);
    expect(lines).toContain(`${nullRows[0]!.id},`);
    expect(lines).toContain(`${emptyRows[0]!.id},""`);
  });

  it('prefixes formula-like text cells with a quote when the formula guard is on, and leaves numbers exact', async () => {
    const { body } = await exportOne('transactions', 'csv', {
      columns: { transactions: ['id', 'amount', 'description'] },
      csv: { formulaGuard: true },
    });

    // The rule, stated independently of the SQL: a formula character (ASCII or full-width) after
    // any leading whitespace, or a leading tab or CR.
    const formulaLike = (text: string) =>
      /^[ \t\n\r\v\f\u00a0\u3000]*[=+\-@＝＋－＠]/u.test(text) || /^[\t\r]/.test(text);
    const rows = await sql<{ id: string; amount: string; description: string | null }[]>`
      SELECT id::text, amount::text AS amount, description FROM transactions ORDER BY id`;
    const csv = parse(body.toString('utf8')) as string[][];
    const byId = new Map(csv.slice(1).map((r) => [r[0], r]));
    expect(rows.filter((r) => r.description !== null && formulaLike(r.description)).length).toBeGreaterThan(
      0,
    );
    for (const row of rows) {
      const cells = byId.get(row.id);
      expect(cells?.[1], `amount of ${row.id}`).toBe(row.amount);
      const expected =
        row.description === null
          ? ''
          : formulaLike(row.description)
            ? `'${row.description}`
            : row.description;
      expect(cells?.[2], `description of ${row.id}`).toBe(expected);
    }
  });

  it('guards formulas after leading whitespace and in full-width characters, and nothing else', async () => {
    const cases: [string, boolean][] = [
      ['=1+1', true],
      [' =1+1', true],
      ['\n+1+1', true],
      ['\r\n @SUM(A1)', true],
      ['\u00a0-1', true],
      ['\u3000=1', true],
      ['＝1+1', true],
      ['＋1', true],
      ['－1', true],
      ['＠SUM(A1:A2)', true],
      ['\tleading tab', true],
      ['\rleading carriage return', true],
      ['plain = text', false],
      ['a+b', false],
      ['', false],
      ['  ', false],
      ['1-2', false],
    ];
    const values = cases.map(
      (_, i) => `(${i + 1}::bigint, current_setting('export.case_${i}'), -${i}.5::numeric)`,
    );
    const source: ExportSource = {
      name: 'cases',
      sql: `SELECT * FROM (VALUES ${values.join(', ')}) AS t(id, text, amount) ORDER BY id`,
      params: Object.fromEntries(cases.map(([text], i) => [`case_${i}`, text])),
      columns: [
        { name: 'id', type: 'bigint' },
        { name: 'text', type: 'text' },
        { name: 'amount', type: 'numeric' },
      ],
    };
    counter++;
    const result = await runExport(deps, {
      sections: [source],
      format: 'csv',
      compression: 'none',
      formulaGuard: true,
      keyBase: `exports/engine-test-${process.pid}-${counter}/cases`,
      fileName: 'cases',
    });

    const rows = (parse((await readObject(s3, result.objectKey)).toString('utf8')) as string[][]).slice(1);
    expect(rows.map((r) => r[1])).toEqual(cases.map(([text, guarded]) => (guarded ? `'${text}` : text)));
    expect(rows.map((r) => r[2])).toEqual(cases.map((_, i) => `-${i}.5`));
  });

  it('zips one CSV file per table when several tables are exported', async () => {
    const plan = planFor({ tables: ['users', 'courses'], format: 'csv' });

    const result = await runExport(deps, plan);

    expect(result.objectKey).toMatch(/\.zip$/);
    const files = await unzip(await readObject(s3, result.objectKey));
    expect([...files.keys()]).toEqual(['users.csv', 'courses.csv']);
    expect(files.get('courses.csv')!.toString()).toMatch(/^id,title,price,created_at\n/);
  });
});

describe('JSON and NDJSON', () => {
  it.each(CATALOGUE_TABLES)('writes %s as NDJSON lines equal to row_to_json', async (table) => {
    const { body } = await exportOne(table, 'ndjson');

    const lines = body.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toEqual(await rowToJsonLines(table));
    for (const line of lines) JSON.parse(line);
  });

  it.each(CATALOGUE_TABLES)('writes %s as a JSON document whose rows equal row_to_json', async (table) => {
    const { body } = await exportOne(table, 'json');

    const doc = JSON.parse(body.toString('utf8'));
    expect(Object.keys(doc)).toEqual([table, 'exportedAt']);
    const expected = (await rowToJsonLines(table)).map((l) => JSON.parse(l));
    expect(doc[table]).toEqual(expected);
  });

  it('keeps numerics as exact decimal text and jsonb nested', async () => {
    const { body } = await exportOne('transactions', 'ndjson');

    const text = body.toString('utf8');
    const [big] =
      await sql`SELECT id, amount::text AS amount FROM transactions ORDER BY abs(amount) DESC LIMIT 1`;
    expect(text).toContain(`"id":${big!.id},"user_id"`);
    expect(text).toMatch(new RegExp(`"amount":${big!.amount.replace('.', '\\.')}[,}]`));
    const [nested] = await sql`SELECT id, metadata FROM transactions WHERE jsonb_typeof(metadata) = 'object'
                               AND metadata::text LIKE '%[%' ORDER BY id LIMIT 1`;
    const row = text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((r) => r.id === Number(nested!.id));
    expect(row.metadata).toEqual(nested!.metadata);
    expect(typeof row.metadata).toBe('object');
  });

  it('writes several tables into one JSON document in request order', async () => {
    const plan = planFor({
      tables: ['courses', 'users'],
      format: 'json',
      filters: { users: { dateFrom: '1900-01-01' } },
    });

    const result = await runExport(deps, plan);

    const doc = JSON.parse((await readObject(s3, result.objectKey)).toString('utf8'));
    expect(Object.keys(doc)).toEqual(['courses', 'users', 'exportedAt']);
    expect(doc.users).toHaveLength(result.tables[1]!.rows);
    expect(new Date(doc.exportedAt).toISOString()).toBe(doc.exportedAt);
  });
});

describe('XML', () => {
  const parser = new XMLParser({
    ignoreAttributes: false,
    parseTagValue: false,
    trimValues: false,
    isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
    processEntities: true,
    htmlEntities: true,
  });

  it.each(CATALOGUE_TABLES)('writes %s as well-formed XML with one element per row', async (table) => {
    const { result, body } = await exportOne(table, 'xml');

    const text = body.toString('utf8');
    expect(XMLValidator.validate(text)).toBe(true);
    const doc = parser.parse(text);
    const rows = doc.export[0][table][0].row ?? [];
    expect(rows).toHaveLength(result.rows);
    expect(Object.keys(rows[0] ?? {})).toEqual(CATALOGUE[table]!.columns.map((c) => c.name));
  });

  it('marks NULL with xsi:nil, keeps ]]> and replaces U+0001 with U+FFFD', async () => {
    const { body } = await exportOne('transactions', 'xml', {
      columns: { transactions: ['id', 'description'] },
    });

    const text = body.toString('utf8');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting no forbidden control character remains
    expect(text).not.toMatch(/[\u0001-\u0008\u000B\u000C\u000E-\u001F]/);
    const rows = parser.parse(text).export[0].transactions[0].row as Record<string, [unknown]>[];
    const byId = new Map(rows.map((r) => [String(r.id![0]), r.description![0]]));
    const [nul] = await sql`SELECT id FROM transactions WHERE description IS NULL ORDER BY id LIMIT 1`;
    expect(byId.get(String(nul!.id))).toEqual({ '@_xsi:nil': 'true' });
    const [cdata] =
      await sql`SELECT id, description FROM transactions WHERE description LIKE '%]]>%' ORDER BY id LIMIT 1`;
    expect(byId.get(String(cdata!.id))).toBe(cdata!.description.replaceAll('\u0001', '\uFFFD'));
    const [control] =
      await sql`SELECT id, description FROM transactions WHERE description LIKE ${'%\u0001%'} ORDER BY id LIMIT 1`;
    expect(byId.get(String(control!.id))).toBe(control!.description.replaceAll('\u0001', '\uFFFD'));
  });

  it.runIf(spawnSync('xmllint', ['--version']).status === 0)('passes xmllint', async () => {
    const { body } = await exportOne('activity_logs', 'xml');
    const file = path.join(os.tmpdir(), `export-${process.pid}.xml`);
    fs.writeFileSync(file, body);

    const lint = spawnSync('xmllint', ['--noout', file]);

    expect(lint.status, lint.stderr.toString()).toBe(0);
  });
});

describe('compression', () => {
  it.each(['csv', 'json', 'ndjson', 'xml'] as const)(
    'gzip %s decompresses to the plain output',
    async (format) => {
      const plain = await exportOne('activity_logs', format);
      const gzipped = await exportOne('activity_logs', format, { compression: 'gzip' });

      expect(gzipped.result.objectKey).toMatch(new RegExp(`\\.${format}\\.gz$`));
      const a = gunzipSync(gzipped.body).toString('utf8');
      const b = plain.body.toString('utf8');
      // exportedAt differs between the two runs; everything else is identical
      const mask = (s: string) => s.replace(/"exportedAt":"[^"]+"|exportedAt="[^"]+"/g, 'X');
      expect(mask(a)).toBe(mask(b));
    },
  );
});

describe('secrets and injection', () => {
  it('never writes password_hash or mfa_secret in any format', async () => {
    const secrets =
      await sql`SELECT password_hash, mfa_secret FROM users WHERE password_hash IS NOT NULL LIMIT 3`;
    expect(secrets.length).toBeGreaterThan(0);
    for (const format of ['csv', 'json', 'ndjson', 'xml'] as const) {
      const { body } = await exportOne('users', format);
      const text = body.toString('utf8');
      expect(text).not.toContain('password_hash');
      expect(text).not.toContain('mfa_secret');
      for (const s of secrets) {
        expect(text).not.toContain(s.password_hash);
        expect(text).not.toContain(s.mfa_secret);
      }
    }
  });

  it.each([
    [{ tables: ['users'], columns: { users: ['password_hash'] }, format: 'csv' }, 'columns.users[0]'],
    [{ tables: ['users'], columns: { users: ['mfa_secret'] }, format: 'json' }, 'columns.users[0]'],
    [{ tables: ['transactions; DROP TABLE users'], format: 'csv' }, 'tables[0]'],
    [{ tables: ['users WHERE 1=1'], format: 'csv' }, 'tables[0]'],
    [
      { tables: ['users'], filters: { users: { dateFrom: "2020-01-01' OR '1'='1" } }, format: 'csv' },
      'filters.users.dateFrom',
    ],
    [
      {
        tables: ['users'],
        columns: { users: ['id", (SELECT password_hash FROM users LIMIT 1) AS "x'] },
        format: 'csv',
      },
      'columns.users[0]',
    ],
    [
      { tables: ['users'], filters: { users: { dateTo: '2020-02-30' } }, format: 'csv' },
      'filters.users.dateTo',
    ],
    [
      { tables: ['users'], filters: { users: { since: '2020-01-01' } }, format: 'csv' },
      'filters.users.since',
    ],
    [{ tables: ['pg_shadow'], format: 'csv' }, 'tables[0]'],
  ])('rejects %j naming %s, and every table stays intact', async (body, field) => {
    const before = await sql`SELECT count(*)::int AS n FROM users`;

    let error: unknown;
    try {
      planFor(body);
    } catch (e) {
      error = e;
    }

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).status).toBe(400);
    expect((error as ValidationError).issues.map((i) => i.field)).toContain(field);
    const after = await sql`SELECT count(*)::int AS n FROM users`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('binds date filters as parameters and applies them half-open by day', async () => {
    const plan = planFor({
      tables: ['transactions'],
      format: 'ndjson',
      filters: { transactions: { dateFrom: '2021-03-28', dateTo: '2021-10-31' } },
    });

    const result = await runExport(deps, plan);

    const [{ n }] = (await sql`SELECT count(*)::int AS n FROM transactions
      WHERE created_at >= '2021-03-28T00:00:00Z' AND created_at < '2021-11-01T00:00:00Z'`) as unknown as [
      { n: number },
    ];
    expect(result.rows).toBe(n);
    expect(plan.sections[0]!.sql).not.toContain('2021');
  });
});

describe('streaming and failure', () => {
  it('reports progress monotonically up to 100 %', async () => {
    const seen: ExportProgress[] = [];
    const plan = planFor({ tables: ['activity_logs', 'transactions'], format: 'ndjson' });

    await runExport(deps, plan, { onProgress: (p) => seen.push(p), progressRows: 50 });

    expect(seen.length).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.rowsExported).toBeGreaterThanOrEqual(seen[i - 1]!.rowsExported);
      expect(seen[i]!.percent).toBeGreaterThanOrEqual(seen[i - 1]!.percent);
    }
    expect(seen.at(-1)).toMatchObject({ percent: 100, tablesDone: 2, tablesTotal: 2 });
  });

  it('stores nothing when aborted mid-stream, and the connection stays usable', async () => {
    const controller = new AbortController();
    const plan: ExportPlan = {
      ...planFor({ tables: ['courses'], format: 'csv' }),
      sections: [
        {
          name: 'big',
          sql: "SELECT g AS id, repeat('x', 200) AS title FROM generate_series(1, 200000) g",
          params: {},
          columns: [
            { name: 'id', type: 'bigint' },
            { name: 'title', type: 'text' },
          ],
        },
      ],
    };

    const run = runExport(deps, plan, {
      signal: controller.signal,
      progressRows: 1000,
      onProgress: (p) => {
        if (p.bytesWritten > 6 * 1024 * 1024) controller.abort();
      },
    });

    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(await objectExists(s3, `${plan.keyBase}.csv`)).toBe(false);
    const [{ ok }] = (await sql`SELECT 1 AS ok`) as unknown as [{ ok: number }];
    expect(ok).toBe(1);
  });

  it('aborts a zipped multi-table export cleanly, without unhandled stream errors', async () => {
    const controller = new AbortController();
    const base = planFor({ tables: ['courses', 'transactions'], format: 'csv' });
    const big = {
      name: 'big',
      sql: "SELECT g AS id, repeat('y', 200) AS title FROM generate_series(1, 100000) g",
      params: {},
      columns: [
        { name: 'id', type: 'bigint' as const },
        { name: 'title', type: 'text' as const },
      ],
    };
    const plan: ExportPlan = { ...base, sections: [base.sections[0]!, big, base.sections[1]!] };

    const run = runExport(deps, plan, {
      signal: controller.signal,
      progressRows: 1000,
      onProgress: (p) => {
        if (p.tablesDone >= 1 && p.rowsExported > 10_000) controller.abort();
      },
    });

    await expect(run).rejects.toMatchObject({ code: 'cancelled' });
    expect(await objectExists(s3, `${plan.keyBase}.zip`)).toBe(false);
  });
});
