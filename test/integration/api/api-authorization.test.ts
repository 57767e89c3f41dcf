import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { API_ROUTES, type RouteName } from '../../../functions/api/api-routes.js';
import { ErrorResponse } from '../../../functions/api/api-schemas.js';
import { demoUserId } from '../../../local/demo-data.js';
import { bearerToken, bodyOf } from '../../support/api-events.js';
import { auditRows, insertCompletedJob, insertJob, jobCount } from '../../support/api-fixtures.js';
import { type ApiHarness, type CallInit, startApiHarness } from '../../support/api-harness.js';

type Who = 'anonymous' | 'bad token' | 'self' | 'other user' | 'admin';

const SELF = demoUserId(77);
const OTHER = demoUserId(78);
const ADMIN = randomUUID();

/** Expected status per route and caller. */
const MATRIX: Record<RouteName, Record<Who, number>> = {
  userExport: { anonymous: 401, 'bad token': 401, self: 200, 'other user': 403, admin: 200 },
  bulkExport: { anonymous: 401, 'bad token': 401, self: 403, 'other user': 403, admin: 202 },
  listJobs: { anonymous: 401, 'bad token': 401, self: 200, 'other user': 200, admin: 200 },
  getJob: { anonymous: 401, 'bad token': 401, self: 200, 'other user': 403, admin: 200 },
  cancelJob: { anonymous: 401, 'bad token': 401, self: 200, 'other user': 403, admin: 200 },
  listJobFiles: { anonymous: 401, 'bad token': 401, self: 200, 'other user': 403, admin: 200 },
  downloadJob: { anonymous: 401, 'bad token': 401, self: 302, 'other user': 403, admin: 302 },
  listSchedules: { anonymous: 401, 'bad token': 401, self: 403, 'other user': 403, admin: 200 },
  runSchedule: { anonymous: 401, 'bad token': 401, self: 403, 'other user': 403, admin: 202 },
  getMetrics: { anonymous: 401, 'bad token': 401, self: 403, 'other user': 403, admin: 200 },
  getLimits: { anonymous: 401, 'bad token': 401, self: 200, 'other user': 200, admin: 200 },
  getCatalogue: { anonymous: 401, 'bad token': 401, self: 200, 'other user': 200, admin: 200 },
  openapi: { anonymous: 200, 'bad token': 200, self: 200, 'other user': 200, admin: 200 },
  registerWebhook: { anonymous: 401, 'bad token': 401, self: 403, 'other user': 403, admin: 201 },
  listWebhooks: { anonymous: 401, 'bad token': 401, self: 403, 'other user': 403, admin: 200 },
  deleteWebhook: { anonymous: 401, 'bad token': 401, self: 403, 'other user': 403, admin: 204 },
  listWebhookDeliveries: { anonymous: 401, 'bad token': 401, self: 403, 'other user': 403, admin: 200 },
  testWebhook: { anonymous: 401, 'bad token': 401, self: 403, 'other user': 403, admin: 202 },
};

let api: ApiHarness;
const tokens = {} as Record<Who, string | undefined>;
const ids: Record<Who, string | null> = {
  anonymous: null,
  'bad token': null,
  self: SELF,
  'other user': OTHER,
  admin: ADMIN,
};
let completedJob: string;

beforeAll(async () => {
  api = await startApiHarness({ rateLimitMax: 1000 });
  tokens.anonymous = undefined;
  tokens['bad token'] = await bearerToken(SELF, { secret: 'not-the-secret-0123456789abcdef0123456789' });
  tokens.self = await bearerToken(SELF);
  tokens['other user'] = await bearerToken(OTHER);
  tokens.admin = await bearerToken(ADMIN, { admin: true });
  completedJob = await insertCompletedJob(api.sql, SELF);
});

afterAll(async () => {
  await api?.close();
});

/** The request each route gets: a target of SELF's, valid input. */
async function requestFor(route: RouteName): Promise<Omit<CallInit, 'token'>> {
  switch (route) {
    case 'userExport':
      return { pathParameters: { userId: SELF }, query: { format: 'json' } };
    case 'bulkExport':
      return { body: { tables: ['courses'], format: 'csv' } };
    case 'getJob':
    case 'listJobFiles':
    case 'downloadJob':
      return { pathParameters: { jobId: completedJob } };
    case 'cancelJob':
      return { pathParameters: { jobId: await insertJob(api.sql, { requestedBy: SELF }) } };
    case 'registerWebhook':
      // An address literal: no DNS lookup, which this machine may not have.
      return { body: { url: 'https://93.184.215.14/hooks/exports' } };
    case 'deleteWebhook':
    case 'listWebhookDeliveries':
    case 'testWebhook': {
      const webhook = await api.deps.webhooks.create({
        id: randomUUID(),
        url: 'https://93.184.215.14/hooks/exports',
        events: ['export.completed'],
        description: null,
        secretSealed: 'not-opened-here',
        createdBy: ADMIN,
      });
      return { pathParameters: { webhookId: webhook.id } };
    }
    case 'runSchedule':
      return { pathParameters: { name: 'daily_transactions' }, body: { date: '2001-02-03', force: true } };
    default:
      return {};
  }
}

const cases = (Object.keys(MATRIX) as RouteName[]).flatMap((route) =>
  (Object.keys(MATRIX[route]) as Who[]).map((who) => [route, who, MATRIX[route][who]] as const),
);

describe('authorisation matrix', () => {
  it.each(cases)('%s as %s answers %i', async (route, who, expected) => {
    const since = new Date(Date.now() - 1000);
    const request = await requestFor(route);
    const callers = [SELF, OTHER, ADMIN];
    const jobsBefore = await jobCount(api.sql, callers);

    const response = await api.call(route, {
      ...request,
      ...(tokens[who] !== undefined && { token: tokens[who] }),
    });

    expect(response.statusCode).toBe(expected);
    if (expected >= 400) {
      expect(ErrorResponse.safeParse(bodyOf(response)).success).toBe(true);
      expect(await jobCount(api.sql, callers)).toBe(jobsBefore);
    }
    if (expected === 403) {
      const denied = await auditRows(api.sql, { userId: ids[who], action: 'denied', since });
      expect(denied.length).toBeGreaterThanOrEqual(1);
    }
    if (expected === 401 && API_ROUTES[route].auth !== 'bearer') {
      // The download route has no authorizer: it verifies tokens itself, and writes nothing for
      // requests without valid credentials (they are counted as a metric instead).
      expect(await auditRows(api.sql, { jobId: completedJob, userId: null, since })).toHaveLength(0);
    }
  });
});

describe("system jobs (the scheduler's runs)", () => {
  it('belong to no login subject: a token with sub "scheduler" neither lists, reads nor downloads them; admins do', async () => {
    const systemJob = await insertCompletedJob(api.sql, null, 'id\n1\n', 'scheduled');
    const impostor = await bearerToken('scheduler');

    const list = await api.call('listJobs', { token: impostor, query: { limit: '100' } });
    const get = await api.call('getJob', { token: impostor, pathParameters: { jobId: systemJob } });
    const download = await api.call('downloadJob', { token: impostor, pathParameters: { jobId: systemJob } });
    const asAdmin = await api.call('getJob', { token: tokens.admin!, pathParameters: { jobId: systemJob } });

    expect(list.statusCode).toBe(200);
    expect((bodyOf(list) as { jobs: { jobId: string }[] }).jobs.map((j) => j.jobId)).not.toContain(systemJob);
    expect(get.statusCode).toBe(403);
    expect(download.statusCode).toBe(403);
    expect(asAdmin.statusCode).toBe(200);
    expect(bodyOf(asAdmin)).toMatchObject({ jobId: systemJob, requestedBy: null });
  });
});

describe('unauthenticated requests to the download route (no authorizer, no API key)', () => {
  it('write nothing: 25 refusals with missing, bad or foreign tokens add no audit row', async () => {
    const before = await api.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM export_audit_log`;
    const foreign = await bearerToken(SELF, { secret: 'not-the-secret-0123456789abcdef0123456789' });
    const attempts = Array.from({ length: 25 }, (_, i) =>
      i % 3 === 0
        ? { pathParameters: { jobId: completedJob } }
        : i % 3 === 1
          ? { pathParameters: { jobId: completedJob }, query: { token: `not.a.token${i}` } }
          : { pathParameters: { jobId: randomUUID() }, token: foreign },
    );

    const statuses = [];
    for (const attempt of attempts) statuses.push((await api.call('downloadJob', attempt)).statusCode);

    expect(new Set(statuses)).toEqual(new Set([401]));
    const after = await api.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM export_audit_log`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});
