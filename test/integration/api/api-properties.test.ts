import { randomUUID } from 'node:crypto';
import http from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { API_BASE_PATH, API_ROUTES, type RouteName } from '../../../functions/api/api-routes.js';
import { ErrorResponse } from '../../../functions/api/api-schemas.js';
import { encodeCursor } from '../../../functions/domain/jobs/export-jobs.js';
import { demoUserId } from '../../../local/demo-data.js';
import type { Gateway } from '../../../local/gateway.js';
import { bearerToken, headerOf } from '../../support/api-events.js';
import { insertCompletedJob, jobCount } from '../../support/api-fixtures.js';
import { startApiGateway, TEST_API_KEY } from '../../support/api-gateway.js';
import { type ApiHarness, type CallInit, startApiHarness } from '../../support/api-harness.js';
import { edgeDate, hostile, OBJECT_MEMBER_NAMES } from '../../support/hostile-values.js';

/**
 * Generated requests, in-process per route (the handlers behind the real authorizer) and over real
 * HTTP through the local gateway across all routes: at least 10,000 in all.
 */
const RUNS_PER_ROUTE = 800;
const RUNS_OVER_HTTP = 2_400;
const ROUTES = Object.keys(API_ROUTES) as RouteName[];
const CREATING: readonly RouteName[] = ['userExport', 'bulkExport', 'runSchedule'];

const SELF = demoUserId(90);
const ADMIN = randomUUID();

let api: ApiHarness;
let gateway: Gateway;
let tokens: string[];
let completedJob: string;
let requests = 0;
const gatewayErrors: unknown[] = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

beforeAll(async () => {
  api = await startApiHarness({ rateLimitMax: 1_000_000, maxBodyBytes: 4096 });
  gateway = await startApiGateway(api, { logError: (_message, error) => gatewayErrors.push(error) });
  tokens = [
    await bearerToken(SELF),
    await bearerToken(ADMIN, { admin: true }),
    await bearerToken(SELF, { secret: 'wrong-secret-0123456789abcdef0123456789' }),
    await bearerToken(ADMIN, { admin: true, ttlSeconds: -120 }),
  ];
  completedJob = await insertCompletedJob(api.sql, SELF);
});

afterAll(async () => {
  agent.destroy();
  await gateway?.close();
  await api?.close();
});

/** A cursor as the API encodes them, mostly around the edges of the date range, or a forged one. */
const cursor = fc.oneof(
  { weight: 1, arbitrary: hostile },
  {
    weight: 3,
    arbitrary: fc
      .record({
        year: fc.oneof(fc.constantFrom(0, 1, 9999), fc.integer({ min: 0, max: 9999 })),
        time: fc.constantFrom('00:00:00', '23:59:59.999999', '12:00:00.5'),
        id: fc.uuid(),
      })
      .map(({ year, time, id }) =>
        encodeCursor({ createdAt: `${String(year).padStart(4, '0')}-06-01T${time}Z`, id }),
      ),
  },
);

/** Values for a query parameter: the route's vocabulary, dates and cursors at the edges, anything hostile. */
const queryValue = fc.oneof(
  hostile,
  edgeDate,
  cursor,
  fc.constantFrom('csv', 'json', 'xml', 'ndjson', 'completed', 'queued', 'true', 'false', '1', '100', '101'),
);

/** Either a valid value of the route's vocabulary or something hostile. */
const pathValue = (name: string) =>
  fc.oneof(
    hostile,
    fc.constantFrom(name === 'name' ? 'daily_transactions' : name === 'userId' ? SELF : completedJob),
    fc.uuid().map(String),
  );

const queryKey = (route: RouteName) => {
  const known = Object.keys(API_ROUTES[route].query.shape);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...(known.length ? known : ['format'])) },
    { weight: 1, arbitrary: fc.constantFrom(...OBJECT_MEMBER_NAMES) },
    { weight: 1, arbitrary: hostile },
  );
};

const queryFor = (route: RouteName) => fc.dictionary(queryKey(route), queryValue, { maxKeys: 3 });

/** Keys of a body object: table names, field names, and names of object members. */
const bodyKey = fc.oneof(
  fc.constantFrom('users', 'transactions', 'courses', 'dateFrom', 'dateTo', ...OBJECT_MEMBER_NAMES),
  hostile,
);

const dateFilter = fc.record(
  { dateFrom: fc.oneof(edgeDate, hostile), dateTo: fc.oneof(edgeDate, hostile) },
  { requiredKeys: [] },
);

const nearValidBody = fc.record(
  {
    tables: fc.oneof(
      fc.array(hostile, { maxLength: 4 }),
      fc.constant(['users', 'courses']),
      fc.constant(['transactions']),
      hostile,
    ),
    format: fc.oneof(fc.constantFrom('csv', 'json', 'ndjson', 'xml'), hostile),
    compression: fc.oneof(fc.constantFrom('none', 'gzip'), hostile),
    filters: fc.oneof(
      fc.dictionary(bodyKey, dateFilter),
      fc.record({ transactions: dateFilter, users: dateFilter }, { requiredKeys: [] }),
      hostile,
    ),
    columns: fc.dictionary(bodyKey, fc.array(hostile, { maxLength: 3 })),
    csv: fc.oneof(fc.record({ formulaGuard: fc.boolean() }), hostile),
    date: fc.oneof(edgeDate, hostile),
    force: fc.oneof(fc.boolean(), hostile),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
);

/** JSON bodies with a `__proto__` key at some depth, which `JSON.stringify` of a generated object rarely writes. */
const protoBody = fc
  .record({
    where: fc.constantFrom('top', 'filters', 'filter', 'columns'),
    value: fc.oneof(dateFilter, hostile),
  })
  .map(({ where, value }) => {
    const inner = JSON.stringify(value);
    if (where === 'top') return `{"__proto__": ${inner}, "tables": ["users"], "format": "csv"}`;
    if (where === 'filters')
      return `{"tables": ["users"], "format": "csv", "filters": {"__proto__": ${inner}}}`;
    if (where === 'filter')
      return `{"tables": ["users"], "format": "csv", "filters": {"users": {"__proto__": ${inner}}}}`;
    return `{"tables": ["users"], "format": "csv", "columns": {"__proto__": ["email"]}, "date": ${inner}}`;
  });

const body = fc.oneof(
  { weight: 4, arbitrary: nearValidBody.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: protoBody },
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

/** Headers by name, the documented ones and names of object members. */
const headersOf = (value: fc.Arbitrary<string>) =>
  fc
    .tuple(
      fc.record(
        {
          'Idempotency-Key': value,
          Prefer: fc.oneof(fc.constant('respond-async'), value),
          'Content-Type': fc.oneof(fc.constantFrom('application/json', 'application/octet-stream'), value),
        },
        { requiredKeys: [] },
      ),
      fc.dictionary(fc.constantFrom(...OBJECT_MEMBER_NAMES), value, { maxKeys: 3 }),
    )
    .map(([known, members]) => {
      const headers: Record<string, string> = Object.create(null);
      for (const [name, v] of [...Object.entries(known), ...Object.entries(members)])
        if (v !== undefined) headers[name] = v;
      return headers;
    });

const requestFor = (route: RouteName): fc.Arbitrary<CallInit> => {
  const spec = API_ROUTES[route];
  const pathNames = Object.keys('pathParams' in spec ? spec.pathParams.shape : {});
  return fc
    .record({
      token: authorization(),
      pathParameters: fc.record(Object.fromEntries(pathNames.map((n) => [n, pathValue(n)]))),
      query: queryFor(route),
      repeat: fc.boolean(),
      headers: headersOf(hostile),
      body: fc.option(body, { nil: undefined }),
      isBase64Encoded: fc.boolean(),
    })
    .map(({ token, query, repeat, headers, ...rest }) => {
      const [firstKey] = Object.keys(query);
      return {
        ...rest,
        headers,
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

interface Reply {
  readonly statusCode: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** Every answer: no 5xx, and every 4xx the API's JSON error shape. */
function expectWellFormed(reply: Reply): void {
  requests++;
  expect(reply.statusCode).toBeLessThan(500);
  if (reply.statusCode >= 400) {
    expect(reply.contentType).toMatch(/^application\/json/);
    const parsed = ErrorResponse.safeParse(JSON.parse(reply.body));
    expect(parsed.success).toBe(true);
    expect(parsed.data?.error.code).toMatch(/^[a-z_]+$/);
    expect(parsed.data?.error.message.length).toBeGreaterThan(0);
  }
}

describe('hostile input never breaks the API (in-process, per route)', () => {
  it.each(ROUTES)(
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

          expectWellFormed({
            statusCode: response.statusCode,
            contentType: headerOf(response, 'content-type'),
            body: response.body,
          });
          if (response.statusCode >= 400 && CREATING.includes(route))
            expect(await jobCount(api.sql, [SELF, ADMIN])).toBe(jobsBefore);
          else if (CREATING.includes(route) && response.statusCode === 202) accepted++;
        }),
        { numRuns: RUNS_PER_ROUTE },
      );
      // The generators must reach the handlers' validation, not only the authorizer.
      const pastAuthorizer = RUNS_PER_ROUTE - (statuses[401] ?? 0);
      expect(pastAuthorizer).toBeGreaterThan(RUNS_PER_ROUTE / 4);
      if (!CREATING.includes(route)) expect(await jobCount(api.sql, [SELF, ADMIN])).toBe(before);
      else expect(await jobCount(api.sql, [SELF, ADMIN])).toBeLessThanOrEqual(before + accepted);
    },
    60_000,
  );
});

/** Characters an HTTP header value can carry (Node refuses controls and anything past Latin-1). */
const headerSafe = (value: string) => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').slice(0, 800);
/**
 * Node's HTTP server refuses a request head over 16 KiB before the gateway sees it (431, no body),
 * so URL parts and header values are clipped to keep each request within it; the huge values go
 * through the in-process runs.
 */
const MAX_URL_PART = 3000;

/** One request over HTTP; bodies and queries stay under Node's 16 KiB header limit. */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  payload?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${gateway.url}${path}`, { method, headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          statusCode: response.statusCode ?? 0,
          contentType: response.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', reject);
    // A body needs its length declared, or a GET's body would be read as the next request.
    if (payload !== undefined) request.setHeader('content-length', Buffer.byteLength(payload));
    request.end(payload);
  });
}

const httpRequest = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    request: requestFor(route),
    apiKey: fc.oneof({ weight: 9, arbitrary: fc.constant(TEST_API_KEY) }, { weight: 1, arbitrary: hostile }),
    methodMismatch: fc.oneof(
      { weight: 19, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
  }),
);

describe('hostile input never breaks the API over HTTP through the local gateway', () => {
  it('across all routes: no 5xx, every 4xx a well-formed JSON error, no job from a rejected request', async () => {
    const before = await jobCount(api.sql, [SELF, ADMIN]);
    let accepted = 0;
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(httpRequest, async ({ route, request, apiKey, methodMismatch }) => {
        const spec = API_ROUTES[route];
        const path = spec.path.replace(/\{(\w+)\}/g, (_, name: string) =>
          // Through UTF-8 and back: a lone surrogate cannot travel in a URL, U+FFFD can.
          encodeURIComponent(
            Buffer.from(request.pathParameters?.[name] ?? '', 'utf8').toString('utf8'),
          ).slice(0, MAX_URL_PART),
        );
        const query = new URLSearchParams();
        for (const [key, values] of Object.entries(request.multiQuery ?? {}))
          for (const value of values) query.append(key, value);
        for (const [key, value] of Object.entries(request.query ?? {})) query.append(key, value);
        const search = query.toString().slice(0, MAX_URL_PART);
        const headers: Record<string, string> = { 'x-api-key': headerSafe(apiKey) };
        for (const [name, value] of Object.entries(request.headers ?? {})) headers[name] = headerSafe(value);
        if (request.token !== undefined) headers.authorization = headerSafe(request.token);
        const payload = typeof request.body === 'string' ? request.body : undefined;
        const method = methodMismatch ? 'PUT' : spec.method.toUpperCase();

        const reply = await send(
          method,
          `${API_BASE_PATH}${path}${search ? `?${search}` : ''}`,
          headers,
          payload,
        );
        statuses[reply.statusCode] = (statuses[reply.statusCode] ?? 0) + 1;

        expectWellFormed(reply);
        if (CREATING.includes(route) && reply.statusCode === 202) accepted++;
      }),
      { numRuns: RUNS_OVER_HTTP },
    );

    expect(gatewayErrors).toEqual([]);
    expect(RUNS_OVER_HTTP - (statuses[401] ?? 0) - (statuses[403] ?? 0)).toBeGreaterThan(RUNS_OVER_HTTP / 4);
    expect(await jobCount(api.sql, [SELF, ADMIN])).toBeLessThanOrEqual(before + accepted);
  }, 90_000);

  it.each([
    ['GET', '/limits?constructor=1', {}, 400, undefined],
    ['GET', '/limits?__proto__=1&toString=2', {}, 400, undefined],
    ['GET', '/limits', { constructor: '1', ['__proto__']: '1', toString: '1' }, 200, undefined],
    ['GET', '/metrics?since=0000-01-01T00:00:00Z', {}, 400, undefined],
    [
      'POST',
      '/bulk',
      {},
      400,
      '{"tables":["users"],"format":"csv","filters":{"__proto__":{"dateFrom":"x"}}}',
    ],
    [
      'POST',
      '/bulk',
      {},
      400,
      '{"tables":["transactions"],"format":"csv","filters":{"transactions":{"dateTo":"2024-01-01T00:00:00-23:59"}}}',
    ],
  ] as const)('%s %s with headers %j answers %s', async (method, path, extra, status, payload) => {
    const headers: Record<string, string> = Object.assign(Object.create(null), {
      'x-api-key': TEST_API_KEY,
      authorization: `Bearer ${tokens[1]}`,
      ...(payload && { 'content-type': 'application/json' }),
    });
    for (const [name, value] of Object.entries(extra)) headers[name] = value;

    const reply = await send(method, `${API_BASE_PATH}${path}`, headers, payload);

    expectWellFormed(reply);
    expect(reply.statusCode).toBe(status);
  });
});

describe('the fuzz run', () => {
  it('sent at least 10,000 generated requests', () => {
    expect(requests).toBeGreaterThanOrEqual(10_000);
  });
});
