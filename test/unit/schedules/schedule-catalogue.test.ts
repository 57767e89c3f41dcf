import { describe, expect, it } from 'vitest';
import { layoutFor, objectTypeFor } from '../../../functions/domain/engine/export-format.js';
import { NotFoundError, ValidationError } from '../../../functions/domain/errors.js';
import {
  getSchedule,
  objectKeyFor,
  parseDestination,
  SCHEDULES,
  type ScheduleDefinition,
  validateCatalogue,
  windowFor,
} from '../../../functions/domain/schedules/schedule-catalogue.js';
import { ScheduledExportMessage } from '../../../functions/domain/schedules/scheduled-export-message.js';

const iso = (date: Date) => date.toISOString();

/** A valid definition to break one field at a time. */
function definition(overrides: Partial<ScheduleDefinition> = {}): ScheduleDefinition {
  return {
    name: 'sample_export',
    description: 'a sample',
    cron: '0 3 * * *',
    format: 'csv',
    compression: 'gzip',
    destination: { bucket: null, prefix: 'sample/' },
    lookbackDays: 1,
    source: (window) => ({
      name: 'courses',
      sql: "SELECT id FROM courses WHERE created_at >= current_setting('export.window_start')::timestamptz",
      params: { window_start: iso(window.start), window_end: iso(window.end) },
      columns: [{ name: 'id', type: 'bigint' }],
    }),
    ...overrides,
  };
}

function issuesOf(defs: readonly ScheduleDefinition[]): string[] {
  try {
    validateCatalogue(defs);
  } catch (error) {
    if (error instanceof ValidationError)
      return error.issues.map((issue) => `${issue.field}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe('windowFor', () => {
  const daily = getSchedule('daily_transactions');
  const weekly = getSchedule('weekly_users');

  it('gives daily_transactions the previous UTC day of the scheduled time', () => {
    const window = windowFor(daily, new Date('2024-06-15T01:00:00Z'));

    expect(window.runDate).toBe('2024-06-15');
    expect(iso(window.start)).toBe('2024-06-14T00:00:00.000Z');
    expect(iso(window.end)).toBe('2024-06-15T00:00:00.000Z');
  });

  it('crosses a month end for a run at 01:00 UTC on the 1st, leap years included', () => {
    expect(windowFor(daily, new Date('2024-03-01T01:00:00Z'))).toMatchObject({
      runDate: '2024-03-01',
      start: new Date('2024-02-29T00:00:00Z'),
      end: new Date('2024-03-01T00:00:00Z'),
    });
    expect(windowFor(daily, new Date('2023-03-01T01:00:00Z')).start).toEqual(
      new Date('2023-02-28T00:00:00Z'),
    );
  });

  it('crosses a year end for a run on January 1st', () => {
    const window = windowFor(daily, new Date('2025-01-01T01:00:00Z'));

    expect(window.runDate).toBe('2025-01-01');
    expect(iso(window.start)).toBe('2024-12-31T00:00:00.000Z');
    expect(iso(window.end)).toBe('2025-01-01T00:00:00.000Z');
  });

  it('gives weekly_users the 7 UTC days before the run date', () => {
    const window = windowFor(weekly, new Date('2025-01-05T02:00:00Z'));

    expect(window.runDate).toBe('2025-01-05');
    expect(iso(window.start)).toBe('2024-12-29T00:00:00.000Z');
    expect(iso(window.end)).toBe('2025-01-05T00:00:00.000Z');
  });

  it('depends on the scheduled time only, so a late retry exports the scheduled day', () => {
    const onTime = windowFor(daily, new Date('2024-06-15T01:00:00Z'));
    const late = windowFor(daily, new Date('2024-06-15T23:59:59.999Z'));

    expect(late).toMatchObject({ runDate: onTime.runDate, start: onTime.start, end: onTime.end });
  });

  it('rejects an invalid date', () => {
    expect(() => windowFor(daily, new Date('not a date'))).toThrow(ValidationError);
  });
});

describe('catalogue sources', () => {
  it('daily_transactions binds the window as half-open params and exports every transaction column', () => {
    const def = getSchedule('daily_transactions');
    const source = def.source(windowFor(def, new Date('2024-03-01T01:00:00Z')));

    expect(source.name).toBe('transactions');
    expect(source.params).toEqual({
      window_start: '2024-02-29T00:00:00.000Z',
      window_end: '2024-03-01T00:00:00.000Z',
    });
    expect(source.sql).toContain(`"created_at" >= current_setting('export.window_start')::timestamptz`);
    expect(source.sql).toContain(`"created_at" < current_setting('export.window_end')::timestamptz`);
    expect(source.sql).toMatch(/ORDER BY "id"$/);
    expect(source.sql).not.toContain('2024');
    expect(source.columns).toEqual([
      { name: 'id', type: 'bigint' },
      { name: 'user_id', type: 'uuid' },
      { name: 'amount', type: 'numeric', precision: 12, scale: 2 },
      { name: 'currency', type: 'char', length: 3 },
      { name: 'status', type: 'text' },
      { name: 'description', type: 'text' },
      { name: 'metadata', type: 'jsonb' },
      { name: 'created_at', type: 'timestamptz' },
    ]);
  });

  it('weekly_users exports only id, email and created_at', () => {
    const def = getSchedule('weekly_users');
    const source = def.source(windowFor(def, new Date('2025-01-05T02:00:00Z')));

    expect(source.name).toBe('users');
    expect(source.sql).toMatch(/^SELECT "id", "email", "created_at" FROM "users" WHERE/);
    expect(source.columns.map((column) => column.name)).toEqual(['id', 'email', 'created_at']);
    expect(source.sql).not.toMatch(/password_hash|mfa_secret/);
    expect(source.params).toEqual({
      window_start: '2024-12-29T00:00:00.000Z',
      window_end: '2025-01-05T00:00:00.000Z',
    });
  });

  it('lists the two initial schedules with their cron, format and destination', () => {
    expect(
      SCHEDULES.map(({ name, cron, format, compression, destination }) => ({
        name,
        cron,
        format,
        compression,
        destination,
      })),
    ).toEqual([
      {
        name: 'daily_transactions',
        cron: '0 1 * * *',
        format: 'csv',
        compression: 'none',
        destination: { bucket: null, prefix: 'daily/transactions/' },
      },
      {
        name: 'weekly_users',
        cron: '0 2 * * 0',
        format: 'json',
        compression: 'none',
        destination: { bucket: null, prefix: 'weekly/users/' },
      },
    ]);
  });
});

describe('objectKeyFor', () => {
  it('names the object after the schedule and the scheduled date, under the prefix', () => {
    const def = getSchedule('daily_transactions');
    const window = windowFor(def, new Date('2025-01-01T01:00:00Z'));

    expect(objectKeyFor(def, window, 'csv')).toBe('daily/transactions/daily_transactions_2025-01-01.csv');
    expect(objectKeyFor(def, window, 'csv.gz')).toBe(
      'daily/transactions/daily_transactions_2025-01-01.csv.gz',
    );
  });

  it('names a parquet run .parquet, the extension the engine gives a parquet file', () => {
    const def = definition({ format: 'parquet', compression: 'none' });
    const window = windowFor(def, new Date('2025-01-01T03:00:00Z'));
    const { extension } = objectTypeFor(def.format, def.compression, layoutFor(def.format, 1));

    expect(objectKeyFor(def, window, extension)).toBe('sample/sample_export_2025-01-01.parquet');
  });

  it('rejects an extension that could change the key', () => {
    const def = getSchedule('weekly_users');
    const window = windowFor(def, new Date('2025-01-05T02:00:00Z'));

    expect(() => objectKeyFor(def, window, '../json')).toThrow(RangeError);
  });
});

describe('parseDestination', () => {
  it('splits an s3 URL into bucket and prefix', () => {
    expect(parseDestination('s3://acme-exports/daily/transactions/')).toEqual({
      bucket: 'acme-exports',
      prefix: 'daily/transactions/',
    });
  });

  it('reads the bucket placeholder as the service bucket', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal placeholder under test
    expect(parseDestination('s3://${bucket}/weekly/users/')).toEqual({
      bucket: null,
      prefix: 'weekly/users/',
    });
  });

  it.each([
    ['https://acme-exports/daily/', /not an s3:\/\/bucket\/prefix\/ URL/],
    ['s3://acme-exports', /not an s3:\/\/bucket\/prefix\/ URL/],
    ['s3://acme-exports/', /must end with "\/"/],
    ['s3://acme-exports/daily', /must end with "\/"/],
    ['s3://acme-exports//daily/', /must not start with "\/"/],
    ['s3://acme-exports/daily//x/', /empty/],
    ['s3://Acme_Exports/daily/', /not a valid bucket name/],
  ])('rejects %s', (url, message) => {
    expect(() => parseDestination(url)).toThrow(message);
  });
});

describe('getSchedule', () => {
  it('throws NotFoundError for an unknown name', () => {
    expect(() => getSchedule('hourly_everything')).toThrow(NotFoundError);
  });
});

describe('validateCatalogue', () => {
  it('accepts the shipped catalogue and a valid definition', () => {
    expect(issuesOf(SCHEDULES)).toEqual([]);
    expect(issuesOf([definition()])).toEqual([]);
  });

  it('accepts a parquet export, uncompressed', () => {
    expect(issuesOf([definition({ format: 'parquet', compression: 'none' })])).toEqual([]);
  });

  it.each<[string, Partial<ScheduleDefinition>, RegExp]>([
    [
      'a gzipped parquet export',
      { format: 'parquet', compression: 'gzip' },
      /^schedules\[0\]\.compression: parquet files compress their pages themselves/,
    ],
    [
      'a column declared with other type modifiers than the catalogue',
      {
        source: (window) => ({
          name: 'transactions',
          sql: 'SELECT amount FROM transactions',
          params: { window_start: iso(window.start), window_end: iso(window.end) },
          columns: [{ name: 'amount', type: 'numeric' }],
        }),
      },
      /schedules\[0\]\.source: column transactions\.amount is numeric\(12,2\), not numeric$/,
    ],
    ['a name with capitals', { name: 'Daily' }, /schedules\[0\]\.name: .*must match/],
    ['a name that is too short', { name: 'ab' }, /schedules\[0\]\.name/],
    ['a cron EventBridge cannot express', { cron: '0 0 1 * 1' }, /schedules\[0\]\.cron: .*both day-of-month/],
    ['a 6-field cron', { cron: '0 0 0 * * *' }, /schedules\[0\]\.cron: .*expected 5 fields/],
    ['an unknown format', { format: 'xlsx' as 'csv' }, /schedules\[0\]\.format/],
    ['an unknown compression', { compression: 'zip' as 'gzip' }, /schedules\[0\]\.compression/],
    [
      'a prefix without a trailing slash',
      { destination: { bucket: null, prefix: 'daily' } },
      /must end with/,
    ],
    ['a prefix with a leading slash', { destination: { bucket: null, prefix: '/daily/' } }, /must not start/],
    ['an invalid bucket', { destination: { bucket: 'NO', prefix: 'daily/' } }, /not a valid bucket name/],
    ['a fractional window', { lookbackDays: 1.5 }, /schedules\[0\]\.lookbackDays/],
    [
      'a column outside the export catalogue',
      {
        source: (window) => ({
          name: 'users',
          sql: 'SELECT password_hash FROM users',
          params: { window_start: iso(window.start), window_end: iso(window.end) },
          columns: [{ name: 'password_hash', type: 'text' }],
        }),
      },
      /schedules\[0\]\.source: column users\.password_hash is not exportable/,
    ],
    [
      'a query with the window spliced into its SQL',
      {
        source: (window) => ({
          name: 'users',
          sql: `SELECT id FROM users WHERE created_at >= '${iso(window.start)}'`,
          params: { window_start: iso(window.start), window_end: iso(window.end) },
          columns: [{ name: 'id', type: 'uuid' }],
        }),
      },
      /schedules\[0\]\.source: must not put the window into the SQL text/,
    ],
  ])('rejects %s', (_label, overrides, message) => {
    const issues = issuesOf([definition(overrides)]);

    expect(issues.join('\n')).toMatch(message);
  });

  it('rejects duplicate names and reports every problem at once', () => {
    const issues = issuesOf([definition(), definition({ cron: 'nonsense' })]);

    expect(issues).toEqual([
      'schedules[1].name: "sample_export" is used twice',
      expect.stringMatching(/^schedules\[1\]\.cron: /),
    ]);
  });
});

describe('ScheduledExportMessage', () => {
  it('accepts a schedule name and the EventBridge event time', () => {
    const message = { schedule: 'daily_transactions', scheduledTime: '2024-06-15T01:00:00Z' };

    expect(ScheduledExportMessage.parse(message)).toEqual(message);
  });

  it.each([
    [{ schedule: 'daily_transactions' }],
    [{ schedule: 'daily_transactions', scheduledTime: 'yesterday' }],
    [{ schedule: '', scheduledTime: '2024-06-15T01:00:00Z' }],
    [{ schedule: 'daily_transactions', scheduledTime: '2024-06-15T01:00:00Z', extra: true }],
  ])('rejects %j', (message) => {
    expect(ScheduledExportMessage.safeParse(message).success).toBe(false);
  });
});
