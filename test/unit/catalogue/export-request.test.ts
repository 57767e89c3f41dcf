import { describe, expect, it } from 'vitest';
import { CATALOGUE, CATALOGUE_TABLES } from '../../../functions/domain/catalogue/catalogue.js';
import { parseDateBound } from '../../../functions/domain/catalogue/date-bounds.js';
import { csvCopy } from '../../../functions/domain/engine/encoding/copy-statements.js';
import { ValidationError } from '../../../functions/domain/errors.js';
import { parseBulkExportRequest } from '../../../functions/domain/jobs/bulk-request.js';
import { bulkSources } from '../../../functions/domain/worker/job-plan.js';

function fieldsOf(body: unknown): string[] {
  try {
    parseBulkExportRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues.map((i) => i.field);
  }
  throw new Error('expected a validation error');
}

describe('the catalogue', () => {
  it('has no sensitive column in any table', () => {
    for (const table of CATALOGUE_TABLES) {
      const names = CATALOGUE[table]!.columns.map((c) => c.name);
      expect(names).not.toContain('password_hash');
      expect(names).not.toContain('mfa_secret');
    }
  });
});

describe('parseBulkExportRequest', () => {
  it('accepts a valid request and applies defaults', () => {
    const spec = parseBulkExportRequest({ tables: ['users', 'transactions'], format: 'csv' });

    expect(spec).toEqual({
      v: 1,
      kind: 'bulk',
      tables: ['users', 'transactions'],
      filters: {},
      columns: {},
      format: 'csv',
      compression: 'none',
      formulaGuard: false,
      consistency: 'chunked',
    });
  });

  it('takes the snapshot consistency mode when asked for', () => {
    const spec = parseBulkExportRequest({ tables: ['users'], format: 'csv', consistency: 'snapshot' });

    expect(spec.consistency).toBe('snapshot');
  });

  it.each([
    [{ format: 'csv' }, 'tables'],
    [{ tables: [], format: 'csv' }, 'tables'],
    [{ tables: ['users'] }, 'format'],
    [{ tables: ['users'], format: 'pdf' }, 'format'],
    [{ tables: ['users'], format: 'csv', compression: 'zip' }, 'compression'],
    [{ tables: ['users'], format: 'csv', extra: 1 }, 'extra'],
    [{ tables: ['users'], format: 'csv', consistency: 'eventual' }, 'consistency'],
    [{ tables: ['nope'], format: 'csv' }, 'tables[0]'],
    [{ tables: ['users', 'users'], format: 'csv' }, 'tables[1]'],
    [{ tables: ['users'], format: 'csv', filters: { courses: {} } }, 'filters.courses'],
    [
      { tables: ['users'], format: 'csv', filters: { users: { dateFrom: '01/02/2024' } } },
      'filters.users.dateFrom',
    ],
    [
      {
        tables: ['users'],
        format: 'csv',
        filters: { users: { dateFrom: '2024-02-01', dateTo: '2024-01-01' } },
      },
      'filters.users.dateTo',
    ],
    [
      { tables: ['users'], format: 'csv', filters: { users: { dateFrom: '0000-01-01T00:00:00Z' } } },
      'filters.users.dateFrom',
    ],
    [
      { tables: ['users'], format: 'csv', filters: { users: { dateTo: '2024-01-01T00:00:00-23:59' } } },
      'filters.users.dateTo',
    ],
    [{ tables: ['users'], format: 'csv', columns: { users: ['nope'] } }, 'columns.users[0]'],
    [{ tables: ['users'], format: 'csv', csv: { formulaGuard: 'yes' } }, 'csv.formulaGuard'],
    [{ tables: ['users'], format: 'parquet', compression: 'gzip' }, 'compression'],
    ['not an object', 'body'],
  ])('rejects %j naming %s', (body, field) => {
    expect(fieldsOf(body)).toContain(field);
  });

  it.each([
    ['{"tables":["users"],"format":"csv","columns":{"__proto__":["id"]}}', 'columns.__proto__'],
    [
      '{"tables":["users"],"format":"csv","filters":{"__proto__":{"dateFrom":"2020-01-01"}}}',
      'filters.__proto__',
    ],
    ['{"tables":["users"],"format":"csv","filters":{"users":{"__proto__":{}}}}', 'filters.users.__proto__'],
    ['{"tables":["users"],"format":"csv","__proto__":{"x":1}}', '__proto__'],
    ['{"tables":["users"],"format":"csv","columns":{"constructor":["id"]}}', 'columns.constructor'],
  ])('rejects the JSON %s naming %s, never dropping a key silently', (json, field) => {
    expect(fieldsOf(JSON.parse(json))).toContain(field);
  });

  it('accepts parquet, whose compression defaults to none', () => {
    const spec = parseBulkExportRequest({ tables: ['users', 'courses'], format: 'parquet' });

    expect(spec).toMatchObject({ format: 'parquet', compression: 'none' });
  });

  it('reports every problem, not only the first', () => {
    expect(
      fieldsOf({ tables: ['nope', 'users'], format: 'csv', columns: { users: ['mfa_secret', 'x'] } }),
    ).toEqual(['tables[0]', 'columns.users[0]', 'columns.users[1]']);
  });
});

describe('csvCopy', () => {
  it('guards char(n) columns as it guards text', () => {
    const [source] = bulkSources(
      parseBulkExportRequest({
        tables: ['transactions'],
        format: 'csv',
        columns: { transactions: ['currency'] },
      }),
    );

    expect(csvCopy(source!, true)).toContain('CASE WHEN t."currency" ~');
  });
});

describe('parseDateBound', () => {
  it.each([
    '2024-02-29',
    '2024-01-31T23:59:59.999999Z',
    '2024-01-31T10:00:00+02:00',
    '0001-01-01',
    '0050-06-01',
    '9999-12-31',
    '0001-01-01T00:00:00-15:59',
    '9999-12-31T23:59:59.999Z',
    '2024-01-01T00:00:00+15:59',
  ])('accepts %s', (v) => {
    expect(parseDateBound(v)).toBeDefined();
  });
  it.each([
    '2023-02-29',
    '2024-13-01',
    '2024-01-31T10:00:00',
    "2020-01-01' OR '1'='1",
    '',
    'now',
    '2023-02-30T00:00:00Z',
    '0000-01-01',
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00+00:01',
    '9999-12-31T23:59:59-00:01',
    '2024-01-01T00:00:00-23:59',
    '2024-01-01T00:00:00+16:00',
  ])('rejects %j', (v) => {
    expect(parseDateBound(v)).toBeUndefined();
  });
});

describe('bulkSources', () => {
  it('puts no request value into the SQL text, only bound parameters', () => {
    const spec = parseBulkExportRequest({
      tables: ['transactions'],
      format: 'csv',
      filters: { transactions: { dateFrom: '2024-01-01', dateTo: '2024-01-31T12:00:00Z' } },
      columns: { transactions: ['id', 'amount'] },
    });

    const [source] = bulkSources(spec);

    expect(source!.sql).toBe(
      'SELECT "id", "amount" FROM "transactions" WHERE "created_at" >= current_setting(\'export.transactions_from\')::date' +
        ' AND "created_at" <= current_setting(\'export.transactions_to\')::timestamptz ORDER BY "id"',
    );
    expect(source!.params).toEqual({
      transactions_from: '2024-01-01',
      transactions_to: '2024-01-31T12:00:00Z',
    });
  });

  it('guards only text columns against spreadsheet formulas', () => {
    const [source] = bulkSources(
      parseBulkExportRequest({
        tables: ['transactions'],
        format: 'csv',
        columns: { transactions: ['id', 'amount', 'description'] },
      }),
    );

    const statement = csvCopy(source!, true);

    expect(statement).toContain('CASE WHEN t."description" ~ ');
    expect(statement).not.toContain('t."amount" ~');
    expect(statement).not.toContain('t."id" ~');
    expect(statement).toMatch(/^COPY \(.*\) TO STDOUT WITH \(FORMAT csv, HEADER true\)$/);
  });
});
