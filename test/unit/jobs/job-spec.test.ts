import { describe, expect, it } from 'vitest';
import { InvalidJobSpecError, parseJobSpec, specColumns } from '../../../functions/domain/jobs/job-spec.js';
import { bulkSpec, scheduledSpec, userSpec } from '../../support/job-specs.js';

const USER = '0f8fad5b-d9cb-469f-a165-70867728950e';

describe('parseJobSpec', () => {
  it.each([
    ['bulk', bulkSpec({ tables: ['users', 'courses'], columns: { users: ['id'] }, format: 'parquet' })],
    ['user', userSpec(USER, { format: 'xml' })],
    ['scheduled', scheduledSpec()],
  ])('reads back a %s spec as it was written', (_, spec) => {
    expect(parseJobSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it.each([
    ['an unknown version', { ...bulkSpec(), v: 2 }, 'spec.v'],
    ['an unknown kind', { ...bulkSpec(), kind: 'nightly' }, 'spec.kind'],
    ['a user id that is not a uuid', userSpec('nobody'), 'spec.userId'],
    ['parquet for a user export', { ...userSpec(USER), format: 'parquet' }, 'spec.format'],
    ['a field it does not know', { ...bulkSpec(), extra: 1 }, 'spec.extra'],
    ['no tables', bulkSpec({ tables: [] }), 'spec.tables'],
  ])('refuses %s, naming the field', (_, value, field) => {
    expect(() => parseJobSpec(value)).toThrow(InvalidJobSpecError);
    expect(() => parseJobSpec(value)).toThrow(field);
  });
});

describe('specColumns', () => {
  it("restates a spec's kind, tables, format and compression for the row's summary columns", () => {
    expect(
      specColumns(bulkSpec({ tables: ['courses'], filters: { courses: { dateTo: '2024-01-31' } } })),
    ).toEqual({
      kind: 'bulk',
      tables: ['courses'],
      filters: { courses: { dateTo: '2024-01-31' } },
      format: 'csv',
      compression: 'none',
    });
    expect(specColumns(userSpec(USER)).tables).toEqual(['profile', 'transactions', 'courses', 'activity']);
    expect(specColumns(scheduledSpec({ tables: ['users'] }))).toMatchObject({
      kind: 'scheduled',
      tables: ['users'],
    });
  });
});
