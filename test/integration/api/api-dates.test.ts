import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { parseDateBound } from '../../../functions/domain/catalogue/date-bounds.js';
import { encodeCursor } from '../../../functions/domain/jobs/export-jobs.js';
import { bearerToken, bodyOf } from '../../support/api-events.js';
import { jobCount } from '../../support/api-fixtures.js';
import { type ApiHarness, startApiHarness } from '../../support/api-harness.js';
import { edgeDate } from '../../support/hostile-values.js';

const ADMIN = randomUUID();
let api: ApiHarness;
let admin: string;

beforeAll(async () => {
  api = await startApiHarness({ rateLimitMax: 1000 });
  admin = await bearerToken(ADMIN, { admin: true });
});

afterAll(async () => {
  if (!api) return;
  await api.sql`DELETE FROM export_jobs WHERE requested_by = ${ADMIN}`;
  await api.close();
});

/** The fields a 400 names. */
function fieldsOf(response: { statusCode: number; body: string }): string[] {
  expect(response.statusCode).toBe(400);
  return bodyOf<{ error: { details: { field: string }[] } }>(response).error.details.map((d) => d.field);
}

describe('dates Postgres cannot hold are a 400 naming the field, never a 500 or an unfinishable job', () => {
  it.each(['0000-01-01T00:00:00Z', '0000-12-31', '0001-01-01T00:00:00+00:01', '2024-01-01T00:00:00-23:59'])(
    'GET /metrics?since=%s',
    async (since) => {
      const response = await api.call('getMetrics', { token: admin, query: { since } });

      expect(fieldsOf(response)).toEqual(['since']);
    },
  );

  it('GET /jobs with a cursor carrying year 0', async () => {
    const cursor = encodeCursor({ createdAt: '0000-06-01T00:00:00.000000Z', id: randomUUID() });

    const response = await api.call('listJobs', { token: admin, query: { cursor } });

    expect(fieldsOf(response)).toEqual(['cursor']);
  });

  it.each([
    [{ dateFrom: '0000-01-01T00:00:00Z' }, 'filters.transactions.dateFrom'],
    [{ dateTo: '2024-01-01T00:00:00-23:59' }, 'filters.transactions.dateTo'],
    [{ dateTo: '2024-01-01T00:00:00+16:00' }, 'filters.transactions.dateTo'],
    [{ dateFrom: '0000-02-29' }, 'filters.transactions.dateFrom'],
  ])('POST /bulk with filters %j', async (filter, field) => {
    const before = await jobCount(api.sql, [ADMIN]);

    const response = await api.call('bulkExport', {
      token: admin,
      method: 'POST',
      body: { tables: ['transactions'], format: 'csv', filters: { transactions: filter } },
    });

    expect(fieldsOf(response)).toEqual([field]);
    expect(await jobCount(api.sql, [ADMIN])).toBe(before);
  });

  it('POST /schedules/{name}/run for a date whose window reaches before year 1', async () => {
    const response = await api.call('runSchedule', {
      token: admin,
      method: 'POST',
      pathParameters: { name: 'daily_transactions' },
      body: { date: '0001-01-01' },
    });

    expect(fieldsOf(response)).toEqual(['date']);
  });

  it('accepts the edges of the range', async () => {
    const since = await api.call('getMetrics', { token: admin, query: { since: '0001-01-01' } });
    const bulk = await api.call('bulkExport', {
      token: admin,
      method: 'POST',
      body: {
        tables: ['transactions'],
        format: 'csv',
        filters: { transactions: { dateFrom: '0001-01-01T00:00:00-15:59', dateTo: '9999-12-31T23:59:59Z' } },
      },
    });

    expect(since.statusCode).toBe(200);
    expect(bulk.statusCode).toBe(202);
  });
});

describe('the date rule against Postgres itself (the oracle)', () => {
  it('every date the API accepts, Postgres reads as given and as JavaScript writes it', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(edgeDate, async (value) => {
        const bound = parseDateBound(value);
        if (!bound) return;
        accepted++;
        const cast = bound.dateOnly
          ? api.sql`SELECT ${value}::date + 1 AS v`
          : api.sql`SELECT ${value}::timestamptz AS v`;
        await expect(cast).resolves.toBeDefined();
        const written = new Date(bound.dateOnly ? `${value}T00:00:00Z` : value).toISOString();
        await expect(api.sql`SELECT ${written}::timestamptz AS v`).resolves.toBeDefined();
      }),
      { numRuns: 400 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
