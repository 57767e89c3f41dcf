import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { API_ROUTES, ErrorResponse, type RouteName } from '../../functions/shared/api-schemas.js';
import { demoUserId } from '../../local/demo-data.js';
import { bearerToken, headerOf } from '../support/api-events.js';
import { insertCompletedJob, jobCount } from '../support/api-fixtures.js';
import { type ApiHarness, type CallInit, startApiHarness } from '../support/api-harness.js';

/** Runs per route: the issue asks for at least 1,000 generated requests each. */
const RUNS = 1000;

const SELF = demoUserId(90);
const ADMIN = randomUUID();

let api: ApiHarness;
let tokens: string[];
let completedJob: string;

beforeAll(async () => {
  api = await startApiHarness({ rateLimitMax: 1_000_000, maxBodyBytes: 4096 });
  tokens = [
    await bearerToken(SELF),
    await bearerToken(ADMIN, { admin: true }),
    await bearerToken(SELF, { secret: 'wrong-secret-0123456789abcdef0123456789' }),
    await bearerToken(ADMIN, { admin: true, ttlSeconds: -120 }),
  ];
  completedJob = await insertCompletedJob(api.sql, SELF);
});

afterAll(async () => {
  await api?.close();
});

/** Strings that break naive parsers, encoders and SQL. */
const HOSTILE = [
  '',
  ' ',
  "' OR 1=1 --",
  '"; DROP TABLE export_jobs; --',
  '../../etc/passwd',
  '%00',
  '\u0000',
  '\ud800',
  '😀'.repeat(50),
  'a'.repeat(5000),
  '__proto__',
  'constructor',
  '{"$ne":null}',
  '<script>alert(1)</script>',
  'NaN',
  '-1',
  '1e309',
  '9'.repeat(30),
  'null',
  'true',
  '2024-02-30',
  '2024-01-01T00:00:00',
  '0000-00-00',
  'users',
  'csv',
  'json',
  'daily_transactions',
];

const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uuid().map(String) },
);

/** Either a valid value of the route's vocabulary or something hostile. */
const pathValue = (name: string) =>
  fc.oneof(
    hostile,
    fc.constantFrom(name === 'name' ? 'daily_transactions' : name === 'userId' ? SELF : completedJob),
    fc.uuid().map(String),
  );

const queryFor = (route: RouteName) => {
  const known = Object.keys(API_ROUTES[route].query.shape);
  const key = fc.oneof(fc.constantFrom(...(known.length ? known : ['format'])), hostile);
  return fc.dictionary(key, hostile, { maxKeys: 3 });
};

const nearValidBody = fc.record(
  {
    tables: fc.oneof(fc.array(hostile, { maxLength: 4 }), fc.constant(['users', 'courses']), hostile),
    format: fc.oneof(fc.constantFrom('csv', 'json', 'ndjson', 'xml'), hostile),
    compression: fc.oneof(fc.constantFrom('none', 'gzip'), hostile),
    filters: fc.oneof(
      fc.dictionary(hostile, fc.record({ dateFrom: hostile, dateTo: hostile }, { requiredKeys: [] })),
      hostile,
    ),
    columns: fc.dictionary(hostile, fc.array(hostile, { maxLength: 3 })),
    csv: fc.oneof(fc.record({ formulaGuard: fc.boolean() }), hostile),
    date: hostile,
    force: fc.oneof(fc.boolean(), hostile),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  { weight: 3, arbitrary: nearValidBody.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('{', '[1,2', '{"tables":}', 'x'.repeat(5000), '\u0000', '{"a":"\\u0000"}'),
  },
);

/** Mostly valid callers (self, admin), so requests get past the authorizer to the handler's validation. */
const authorization = () =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(tokens[0]!, tokens[1]!) },
    { weight: 1, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(tokens[2]!, tokens[3]!) },
    { weight: 1, arbitrary: fc.constantFrom(...tokens).map((t) => `${t}x`) },
    { weight: 1, arbitrary: hostile.map((h) => `Bearer ${h}`) },
    { weight: 1, arbitrary: hostile },
  );

const requestFor = (route: RouteName): fc.Arbitrary<CallInit> => {
  const spec = API_ROUTES[route];
  const pathNames = Object.keys('pathParams' in spec ? spec.pathParams.shape : {});
  return fc
    .record({
      token: authorization(),
      pathParameters: fc.record(Object.fromEntries(pathNames.map((n) => [n, pathValue(n)]))),
      query: queryFor(route),
      repeat: fc.boolean(),
      headers: fc.record(
        {
          'Idempotency-Key': hostile,
          Prefer: fc.oneof(fc.constant('respond-async'), hostile),
          'Content-Type': fc.oneof(fc.constant('application/json'), hostile),
        },
        { requiredKeys: [] },
      ),
      body: fc.option(body, { nil: undefined }),
      isBase64Encoded: fc.boolean(),
    })
    .map(({ token, query, repeat, headers, ...rest }) => {
      const [firstKey] = Object.keys(query);
      return {
        ...rest,
        headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
          string,
          string
        >,
        ...(token !== undefined && { token: token.includes(' ') ? token : `Bearer ${token}` }),
        ...(repeat && firstKey !== undefined
          ? {
              multiQuery: {
                ...Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
                [firstKey]: ['a', 'b'],
              },
            }
          : { query }),
      };
    });
};

const CREATING: readonly RouteName[] = ['userExport', 'bulkExport', 'runSchedule'];

describe('hostile input never breaks the API', () => {
  it.each(Object.keys(API_ROUTES) as RouteName[])(
    '%s: no 5xx, every 4xx a well-formed JSON error, no job from a rejected request',
    async (route) => {
      const before = await jobCount(api.sql, [SELF, ADMIN]);
      let accepted = 0;
      const statuses: Record<number, number> = {};
      await fc.assert(
        fc.asyncProperty(requestFor(route), async (request) => {
          const jobsBefore = CREATING.includes(route) ? await jobCount(api.sql, [SELF, ADMIN]) : 0;

          const response = await api.call(route, request);
          statuses[response.statusCode] = (statuses[response.statusCode] ?? 0) + 1;

          expect(response.statusCode).toBeLessThan(500);
          if (response.statusCode >= 400) {
            expect(headerOf(response, 'content-type')).toMatch(/^application\/json/);
            const parsed = ErrorResponse.safeParse(JSON.parse(response.body));
            expect(parsed.success).toBe(true);
            expect(parsed.data?.error.code).toMatch(/^[a-z_]+$/);
            expect(parsed.data?.error.message.length).toBeGreaterThan(0);
            if (CREATING.includes(route)) expect(await jobCount(api.sql, [SELF, ADMIN])).toBe(jobsBefore);
          } else if (CREATING.includes(route) && response.statusCode === 202) {
            accepted++;
          }
        }),
        { numRuns: RUNS },
      );
      // The generators must reach the handlers' validation, not only the authorizer.
      const pastAuthorizer = RUNS - (statuses[401] ?? 0);
      expect(pastAuthorizer).toBeGreaterThan(RUNS / 4);
      if (!CREATING.includes(route)) expect(await jobCount(api.sql, [SELF, ADMIN])).toBe(before);
      else expect(await jobCount(api.sql, [SELF, ADMIN])).toBeLessThanOrEqual(before + accepted);
    },
    60_000,
  );
});
