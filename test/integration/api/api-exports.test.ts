import { randomUUID } from 'node:crypto';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bulkSpec } from '../../support/job-specs.js';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import {
  JobAccepted,
  JobViewSchema,
  LimitsResponse,
  UserExportJson,
} from '../../../functions/api/api-schemas.js';
import { DEMO_PASSWORD_HASH_MARKER, DEMO_USER_ID, demoUserId } from '../../../local/demo-data.js';
import { bearerToken, bodyOf, headerOf } from '../../support/api-events.js';
import { RecordingQueue } from '../../support/api-fakes.js';
import { auditRows, insertCompletedJob } from '../../support/api-fixtures.js';
import { type ApiHarness, startApiHarness, TestClock } from '../../support/api-harness.js';
import { unzip } from '../../support/zip.js';

let api: ApiHarness;
const harnesses: ApiHarness[] = [];
const start = async (options: Parameters<typeof startApiHarness>[0] = {}) => {
  const harness = await startApiHarness(options);
  harnesses.push(harness);
  return harness;
};

beforeAll(async () => {
  api = await start({ rateLimitMax: 1000 });
});

afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

async function queuedJobIds(harness: ApiHarness): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const { Messages = [] } = await harness.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: harness.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return ids;
    ids.push(...Messages.map((m) => (JSON.parse(m.Body!) as { jobId: string }).jobId));
  }
}

describe('POST /bulk idempotency', () => {
  const body = {
    tables: ['courses', 'users'],
    format: 'ndjson',
    filters: { users: { dateFrom: '2020-01-01' } },
  };

  it('returns the same job for the same key and body, and a 409 for another body', async () => {
    const admin = randomUUID();
    const token = await bearerToken(admin, { admin: true });
    const headers = { 'Idempotency-Key': `key-${randomUUID()}` };

    const first = await api.call('bulkExport', { token, headers, body });
    const retry = await api.call('bulkExport', { token, headers, body: JSON.stringify({ ...body }) });
    const reordered = await api.call('bulkExport', {
      token,
      headers,
      body: { filters: body.filters, format: 'ndjson', tables: body.tables },
    });
    const changed = await api.call('bulkExport', { token, headers, body: { ...body, format: 'csv' } });

    expect(first.statusCode).toBe(202);
    const { jobId } = JobAccepted.parse(bodyOf(first));
    expect(bodyOf(retry)).toEqual(bodyOf(first));
    expect(bodyOf(reordered)).toEqual(bodyOf(first));
    expect(changed.statusCode).toBe(409);
    expect(bodyOf(changed)).toMatchObject({ error: { code: 'conflict', details: { jobId } } });
    const [row] = await api.sql`SELECT count(*)::int AS n FROM export_jobs WHERE requested_by = ${admin}`;
    expect(row).toEqual({ n: 1 });
  });

  it('creates one job when the same request races itself', async () => {
    const admin = randomUUID();
    const token = await bearerToken(admin, { admin: true });
    const headers = { 'Idempotency-Key': 'race' };

    const responses = await Promise.all(
      Array.from({ length: 8 }, () => api.call('bulkExport', { token, headers, body })),
    );

    expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(202));
    expect(new Set(responses.map((r) => bodyOf<{ jobId: string }>(r).jobId)).size).toBe(1);
  });

  it('puts exactly one message per created job on the queue', async () => {
    const harness = await start({ rateLimitMax: 1000 });
    const token = await bearerToken(randomUUID(), { admin: true });

    const a = bodyOf<{ jobId: string }>(
      await harness.call('bulkExport', { token, body, headers: { 'Idempotency-Key': 'a' } }),
    );
    await harness.call('bulkExport', { token, body, headers: { 'Idempotency-Key': 'a' } });
    const b = bodyOf<{ jobId: string }>(await harness.call('bulkExport', { token, body }));

    expect((await queuedJobIds(harness)).sort()).toEqual([a.jobId, b.jobId].sort());
  });

  it('stores the request as the worker reads it', async () => {
    const token = await bearerToken(randomUUID(), { admin: true });

    const response = await api.call('bulkExport', {
      token,
      body: {
        tables: ['users'],
        format: 'csv',
        compression: 'gzip',
        columns: { users: ['id', 'email'] },
        csv: { formulaGuard: true },
      },
    });

    const [row] =
      await api.sql`SELECT kind, spec, tables, filters, format, compression, options, status FROM export_jobs WHERE id = ${bodyOf<{ jobId: string }>(response).jobId}`;
    expect(row).toEqual({
      kind: 'bulk',
      tables: ['users'],
      filters: {},
      format: 'csv',
      compression: 'gzip',
      spec: bulkSpec({ columns: { users: ['id', 'email'] }, compression: 'gzip', formulaGuard: true }),
      options: {},
      status: 'queued',
    });
  });
});

describe('a failed enqueue', () => {
  it('leaves a visibly failed job, answers 503, and lets the retry with the same key create a new job', async () => {
    const queue = new RecordingQueue();
    const harness = await start({ queue, rateLimitMax: 1000 });
    const admin = randomUUID();
    const token = await bearerToken(admin, { admin: true });
    const request = {
      token,
      body: { tables: ['courses'], format: 'csv' },
      headers: { 'Idempotency-Key': 'retry-me' },
    };
    queue.unavailable = true;

    const failed = await harness.call('bulkExport', request);

    expect(failed.statusCode).toBe(503);
    expect(headerOf(failed, 'retry-after')).toBeDefined();
    const failedJobId = bodyOf<{ error: { details: { jobId: string } } }>(failed).error.details.jobId;
    const view = JobViewSchema.parse(
      bodyOf(await harness.call('getJob', { token, pathParameters: { jobId: failedJobId } })),
    );
    expect(view).toMatchObject({ status: 'failed', error: { code: 'enqueue_failed', retryable: true } });

    queue.unavailable = false;
    const retried = await harness.call('bulkExport', request);

    expect(retried.statusCode).toBe(202);
    expect(bodyOf<{ jobId: string }>(retried).jobId).not.toBe(failedJobId);
    expect(queue.messages).toEqual([{ jobId: bodyOf<{ jobId: string }>(retried).jobId }]);
  });
});

describe('the per-user rate limit', () => {
  it('allows the 5th request, refuses the 6th with Retry-After, and allows again after the window', async () => {
    const clock = new TestClock(new Date('2030-01-01T12:00:00Z'));
    const harness = await start({ clock, rateLimitMax: 5, rateLimitWindowSeconds: 900 });
    const admin = randomUUID();
    const token = await bearerToken(admin, { admin: true });
    const bulk = () => harness.call('bulkExport', { token, body: { tables: ['courses'], format: 'csv' } });

    for (let i = 0; i < 5; i++) {
      expect((await bulk()).statusCode).toBe(202);
      clock.advance(60_000);
    }
    // The first request was at 12:00; it is now 12:05.
    const sixth = await bulk();

    expect(sixth.statusCode).toBe(429);
    expect(headerOf(sixth, 'retry-after')).toBe(String(10 * 60));
    expect(bodyOf(sixth)).toMatchObject({ error: { code: 'rate_limited' } });
    expect(
      await auditRows(harness.sql, { userId: admin, action: 'rate_limited', since: new Date(0) }),
    ).toHaveLength(1);

    clock.current = new Date('2030-01-01T12:14:59.999Z');
    expect((await bulk()).statusCode).toBe(429);
    clock.current = new Date('2030-01-01T12:15:00.000Z');
    expect((await bulk()).statusCode).toBe(202);
  });

  it('shares the window between user exports and schedule runs, and GET /limits reads it without counting', async () => {
    const clock = new TestClock(new Date('2030-02-01T00:00:00Z'));
    const harness = await start({ clock, rateLimitMax: 2, rateLimitWindowSeconds: 600 });
    const user = demoUserId(95);
    const token = await bearerToken(user);
    const limits = async () => LimitsResponse.parse(bodyOf(await harness.call('getLimits', { token })));

    expect(await limits()).toMatchObject({ limit: 2, remaining: 2 });
    await harness.call('userExport', {
      token,
      pathParameters: { userId: user },
      headers: { Prefer: 'respond-async' },
    });
    await harness.call('listJobs', { token });
    await harness.call('getLimits', { token });

    expect(await limits()).toMatchObject({ remaining: 1, resetAt: '2030-02-01T00:10:00.000Z' });
  });

  it('never lets concurrent requests take more slots than the limit', async () => {
    const harness = await start({ rateLimitMax: 3 });
    const token = await bearerToken(randomUUID(), { admin: true });

    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        harness.call('bulkExport', { token, body: { tables: ['courses'], format: 'csv' } }),
      ),
    );

    expect(responses.filter((r) => r.statusCode === 202)).toHaveLength(3);
    expect(responses.filter((r) => r.statusCode === 429)).toHaveLength(7);
  });
});

describe('GET /user/{userId}', () => {
  it('answers small exports inline as one JSON document without secrets', async () => {
    const user = demoUserId(96);
    const token = await bearerToken(user);

    const response = await api.call('userExport', { token, pathParameters: { userId: user } });

    expect(response.statusCode).toBe(200);
    expect(headerOf(response, 'content-disposition')).toContain(`user-${user}-export.json`);
    const document = UserExportJson.parse(JSON.parse(response.body));
    expect(document.profile).toMatchObject({ id: user });
    expect(response.body).not.toContain(DEMO_PASSWORD_HASH_MARKER);
    const [counts] = await api.sql<{ t: number; a: number; c: number }[]>`
      SELECT (SELECT count(*)::int FROM transactions WHERE user_id = ${user}) AS t,
             (SELECT count(*)::int FROM activity_logs WHERE user_id = ${user}) AS a,
             (SELECT count(*)::int FROM enrollments WHERE user_id = ${user}) AS c`;
    expect([document.transactions.length, document.activity.length, document.courses.length]).toEqual([
      counts!.t,
      counts!.a,
      counts!.c,
    ]);
  });

  it('answers CSV as a zip of one file per section, formula guard on by default', async () => {
    const admin = await bearerToken(randomUUID(), { admin: true });

    const response = await api.call('userExport', {
      token: admin,
      pathParameters: { userId: DEMO_USER_ID },
      query: { format: 'csv' },
    });

    expect(response.statusCode).toBe(200);
    expect(response.isBase64Encoded).toBe(true);
    expect(headerOf(response, 'content-type')).toBe('application/zip');
    expect(headerOf(response, 'content-disposition')).toContain(`user-${DEMO_USER_ID}-export.zip`);
    const entries = await unzip(Buffer.from(response.body, 'base64'));
    expect([...entries.keys()]).toEqual(['profile.csv', 'transactions.csv', 'courses.csv', 'activity.csv']);
    const profile = entries.get('profile.csv')!.toString('utf8');
    expect(profile.split('\n')[0]).toBe(
      'id,email,full_name,roles,locale,marketing_opt_in,created_at,updated_at',
    );
    expect(profile).toContain(DEMO_USER_ID);
    const transactions = entries.get('transactions.csv')!.toString('utf8');
    const [formulas] = await api.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM transactions WHERE user_id = ${DEMO_USER_ID} AND left(description, 1) IN ('=', '+', '-', '@')`;
    if (formulas!.n > 0) expect(transactions).toMatch(/(^|,)"?'[=+\-@]/m);
    expect(transactions).not.toMatch(/(^|,)"?=1\+1/m);
    expect(entries.get('courses.csv')!.toString('utf8').split('\n')[0]).toBe(
      'enrollment_id,course_id,title,status,progress,enrolled_at,completed_at',
    );
  });

  it('turns the formula guard off on request', async () => {
    const admin = await bearerToken(randomUUID(), { admin: true });

    const response = await api.call('userExport', {
      token: admin,
      pathParameters: { userId: DEMO_USER_ID },
      query: { format: 'csv', formulaGuard: 'false' },
    });

    const transactions = (await unzip(Buffer.from(response.body, 'base64')))
      .get('transactions.csv')!
      .toString('utf8');
    expect(transactions).toMatch(/(^|,)"?=1\+1/m);
  });

  it('answers NDJSON as a zip and XML as one well-formed document', async () => {
    const user = demoUserId(97);
    const token = await bearerToken(user);

    const ndjson = await api.call('userExport', {
      token,
      pathParameters: { userId: user },
      query: { format: 'ndjson' },
    });
    const xml = await api.call('userExport', {
      token,
      pathParameters: { userId: user },
      query: { format: 'xml' },
    });

    const entries = await unzip(Buffer.from(ndjson.body, 'base64'));
    expect([...entries.keys()]).toEqual([
      'profile.ndjson',
      'transactions.ndjson',
      'courses.ndjson',
      'activity.ndjson',
    ]);
    expect(JSON.parse(entries.get('profile.ndjson')!.toString('utf8').trim())).toMatchObject({ id: user });
    expect(headerOf(xml, 'content-type')).toMatch(/^application\/xml/);
    expect(XMLValidator.validate(xml.body)).toBe(true);
    expect(new XMLParser().parse(xml.body)).toHaveProperty('userExport.profile');
  });

  it('switches to a queued job past the inline limit, and always with Prefer: respond-async', async () => {
    const small = await start({ inlineLimitBytes: 1500, rateLimitMax: 1000 });
    const user = DEMO_USER_ID;
    const token = await bearerToken(user, { email: 'me@example.com' });

    const big = await small.call('userExport', {
      token,
      pathParameters: { userId: user },
      query: { format: 'csv' },
    });
    const asked = await api.call('userExport', {
      token,
      pathParameters: { userId: user },
      headers: { Prefer: 'respond-async' },
    });

    expect(big.statusCode).toBe(202);
    expect(asked.statusCode).toBe(202);
    expect(headerOf(asked, 'preference-applied')).toBe('respond-async');
    for (const response of [big, asked]) {
      const { jobId, status } = JobAccepted.parse(bodyOf(response));
      expect(status).toBe('queued');
      const [row] =
        await api.sql`SELECT kind, tables, spec, requested_by, requester_email FROM export_jobs WHERE id = ${jobId}`;
      expect(row).toMatchObject({
        kind: 'user',
        tables: ['profile', 'transactions', 'courses', 'activity'],
        spec: { kind: 'user', userId: user, formulaGuard: true },
        requested_by: user,
        requester_email: 'me@example.com',
      });
    }
  });

  it('answers 404 for a user that does not exist, without counting it', async () => {
    const admin = randomUUID();
    const token = await bearerToken(admin, { admin: true });

    const response = await api.call('userExport', { token, pathParameters: { userId: randomUUID() } });
    const limits = LimitsResponse.parse(bodyOf(await api.call('getLimits', { token })));

    expect(response.statusCode).toBe(404);
    expect(limits.remaining).toBe(limits.limit);
  });
});

describe('GET /jobs/{jobId}/download', () => {
  it('redirects to a presigned URL that serves the file, and audits it', async () => {
    const owner = randomUUID();
    const jobId = await insertCompletedJob(api.sql, owner, 'id\n42\n');
    const token = await bearerToken(owner);
    const since = new Date(Date.now() - 1000);

    const response = await api.call('downloadJob', { token, pathParameters: { jobId } });

    expect(response.statusCode).toBe(302);
    const location = headerOf(response, 'location')!;
    expect(location).toContain('X-Amz-Expires=300');
    const file = await fetch(location);
    expect(await file.text()).toBe('id\n42\n');
    expect(await auditRows(api.sql, { jobId, action: 'download', since })).toEqual([
      expect.objectContaining({ user_id: owner, status: 'ok' }),
    ]);
  });
});
