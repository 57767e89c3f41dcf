import { createHash, randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { UNAUTHENTICATED_METRIC } from '../../../functions/api/http.js';
import { BearerTokenVerifier } from '../../../functions/domain/access/auth.js';
import { createLinkToken } from '../../../functions/domain/access/link-token.js';
import { attachmentDisposition } from '../../../functions/domain/engine/content-disposition.js';
import { createAuthorizer } from '../../../functions/handlers/authorizer.js';
import { createHandler as bulkExport } from '../../../functions/handlers/bulk-export.js';
import { createHandler as cancelJob } from '../../../functions/handlers/cancel-job.js';
import { createHandler as downloadJob } from '../../../functions/handlers/download-job.js';
import { handler as getCatalogue } from '../../../functions/handlers/get-catalogue.js';
import { createHandler as getJob } from '../../../functions/handlers/get-job.js';
import { createHandler as getLimits } from '../../../functions/handlers/get-limits.js';
import { createHandler as getMetrics } from '../../../functions/handlers/get-metrics.js';
import { createHandler as listJobs } from '../../../functions/handlers/list-jobs.js';
import { createHandler as listSchedules } from '../../../functions/handlers/list-schedules.js';
import { handler as openapi } from '../../../functions/handlers/openapi.js';
import { createHandler as runSchedule } from '../../../functions/handlers/run-schedule.js';
import { createHandler as userExport } from '../../../functions/handlers/user-export.js';
import { metrics } from '../../../functions/platform/powertools.js';
import {
  apiContext,
  apiEvent,
  authorizerContext,
  authorizerEvent,
  bearerToken,
  bodyOf,
  headerOf,
  invoke,
  TEST_JWT_SECRET,
  TEST_LINK_SECRET,
  viaGateway,
} from '../../support/api-events.js';
import { type FakeApiDeps, fakeApiDeps } from '../../support/api-fakes.js';
import { FakeExportDatabase } from '../../support/worker-fakes.js';

const USER = randomUUID();
const OTHER = randomUUID();
const ADMIN = randomUUID();
const asUser = authorizerContext(USER);
const asOther = authorizerContext(OTHER);
const asAdmin = authorizerContext(ADMIN, { admin: true });

let deps: FakeApiDeps;
const provide = () => Promise.resolve(deps);

beforeEach(() => {
  deps = fakeApiDeps();
});

describe('authorizer', () => {
  const authorizer = createAuthorizer(() => new BearerTokenVerifier({ secret: TEST_JWT_SECRET }));

  it('allows a valid token for the whole stage and passes userId, email and roles', async () => {
    const token = await bearerToken(ADMIN, { admin: true, email: 'a@example.com' });

    const result = await authorizer(authorizerEvent({ Authorization: `Bearer ${token}` }), apiContext());

    expect(result.principalId).toBe(ADMIN);
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:us-east-1:000000000000:api1234567/test/*/*',
      },
    ]);
    expect(result.context).toEqual({ userId: ADMIN, email: 'a@example.com', roles: '["admin"]' });
  });

  it.each([
    ['no header', {}],
    ['a bad token', { authorization: 'Bearer a.b.c' }],
  ])('answers Unauthorized for %s', async (_, headers) => {
    await expect(authorizer(authorizerEvent(headers), apiContext())).rejects.toThrow('Unauthorized');
  });

  it('lets the gateway helper turn a rejection into the JSON 401', async () => {
    const response = await viaGateway(authorizer, getLimits(provide), { headers: {} });

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'unauthorized' } });
  });
});

describe('GET /user/{userId}', () => {
  const handler = () => userExport(provide);

  it('queues a job with Prefer: respond-async, owned by the caller, formula guard on', async () => {
    const response = await invoke(
      handler(),
      apiEvent({
        authorizer: asUser,
        pathParameters: { userId: USER },
        query: { format: 'csv' },
        headers: { Prefer: 'respond-async' },
      }),
    );

    expect(response.statusCode).toBe(202);
    const { jobId } = bodyOf<{ jobId: string }>(response);
    expect(await deps.jobs.get(jobId)).toMatchObject({
      kind: 'user',
      tables: ['profile', 'transactions', 'courses', 'activity'],
      spec: { v: 1, kind: 'user', userId: USER, format: 'csv', compression: 'none', formulaGuard: true },
      requestedBy: USER,
      format: 'csv',
    });
    expect(deps.queue.messages).toEqual([{ jobId }]);
    expect(headerOf(response, 'preference-applied')).toBe('respond-async');
  });

  it('refuses a caller without a slot left with 429 before asking the database anything', async () => {
    for (let i = 0; i < 5; i++) expect((await deps.rateLimiter.consume(USER)).allowed).toBe(true);

    const response = await invoke(
      handler(),
      apiEvent({ authorizer: asUser, pathParameters: { userId: USER }, query: { format: 'json' } }),
    );

    expect(response.statusCode).toBe(429);
    expect(Number(headerOf(response, 'retry-after'))).toBeGreaterThan(0);
    expect(deps.database.sources).toEqual([]);
    expect(deps.database.statements).toEqual([]);
    expect(deps.audit.entries).toEqual([expect.objectContaining({ action: 'rate_limited', userId: USER })]);
  });

  it('answers inline when the rendered export fits', async () => {
    const response = await invoke(
      handler(),
      apiEvent({ authorizer: asUser, pathParameters: { userId: USER }, query: { format: 'ndjson' } }),
    );

    expect(response.statusCode).toBe(200);
    expect(response.isBase64Encoded).toBe(true);
    expect(headerOf(response, 'content-type')).toBe('application/zip');
    expect(headerOf(response, 'content-disposition')).toContain(`user-${USER}-export.zip`);
    expect(deps.jobs.jobs.size).toBe(0);
  });

  it('falls back to a job when the rendered export outgrows the inline limit', async () => {
    const database = new FakeExportDatabase({
      rows: { profile: 1, transactions: 0, courses: 0, activity: 0 },
    });
    deps = fakeApiDeps({ inlineLimitBytes: 100, database });

    const response = await invoke(
      handler(),
      apiEvent({ authorizer: asUser, pathParameters: { userId: USER }, query: { format: 'csv' } }),
    );

    expect(response.statusCode).toBe(202);
    expect(database.statements.length).toBeGreaterThan(0); // it was rendered, then found too large
    expect(deps.queue.messages).toHaveLength(1);
  });

  it('queues at once when the row count alone rules out an inline answer', async () => {
    const database = new FakeExportDatabase({ rows: { profile: 1, transactions: 1000 } });
    deps = fakeApiDeps({ inlineLimitBytes: 1000, database });

    const response = await invoke(
      handler(),
      apiEvent({ authorizer: asUser, pathParameters: { userId: USER }, query: { format: 'json' } }),
    );

    expect(response.statusCode).toBe(202);
    expect(database.statements).toEqual([]);
  });

  it("refuses another user's data with 403, audited, nothing queued", async () => {
    const response = await invoke(
      handler(),
      apiEvent({ authorizer: asOther, pathParameters: { userId: USER } }),
    );

    expect(response.statusCode).toBe(403);
    expect(deps.audit.entries).toEqual([
      expect.objectContaining({ action: 'denied', userId: OTHER, exportType: 'user' }),
    ]);
    expect(deps.jobs.jobs.size).toBe(0);
  });

  it('answers 404 for a user that does not exist', async () => {
    deps = fakeApiDeps({ database: new FakeExportDatabase({ rows: { profile: 0 } }) });

    const response = await invoke(
      handler(),
      apiEvent({ authorizer: asAdmin, pathParameters: { userId: USER } }),
    );

    expect(response.statusCode).toBe(404);
  });

  it('validates the path and the query', async () => {
    const bad = await invoke(
      handler(),
      apiEvent({ authorizer: asUser, pathParameters: { userId: 'nope' }, query: { format: 'pdf' } }),
    );

    expect(bad.statusCode).toBe(400);
    expect(
      bodyOf<{ error: { details: { field: string }[] } }>(bad).error.details.map((d) => d.field),
    ).toEqual(['userId']);
    const badFormat = await invoke(
      handler(),
      apiEvent({ authorizer: asUser, pathParameters: { userId: USER }, query: { format: 'pdf' } }),
    );
    expect(
      bodyOf<{ error: { details: { field: string }[] } }>(badFormat).error.details.map((d) => d.field),
    ).toEqual(['format']);
  });

  it('refuses parquet with 400 naming format: it is for bulk and scheduled exports', async () => {
    const response = await invoke(
      handler(),
      apiEvent({ authorizer: asUser, pathParameters: { userId: USER }, query: { format: 'parquet' } }),
    );

    expect(response.statusCode).toBe(400);
    expect(
      bodyOf<{ error: { details: { field: string; message: string }[] } }>(response).error.details,
    ).toEqual([
      { field: 'format', message: expect.stringMatching(/parquet is for bulk and scheduled exports/) },
    ]);
    expect(deps.jobs.jobs.size).toBe(0);
  });
});

describe('POST /bulk', () => {
  const handler = () => bulkExport(provide);
  const body = {
    tables: ['users', 'courses'],
    format: 'csv',
    filters: { users: { dateFrom: '2024-01-01' } },
  };

  it('creates and queues a job with the spec on the row', async () => {
    const response = await invoke(handler(), apiEvent({ method: 'POST', authorizer: asAdmin, body }));

    expect(response.statusCode).toBe(202);
    const { jobId, status } = bodyOf<{ jobId: string; status: string }>(response);
    expect(status).toBe('queued');
    expect(await deps.jobs.get(jobId)).toMatchObject({
      kind: 'bulk',
      tables: ['users', 'courses'],
      spec: {
        v: 1,
        kind: 'bulk',
        tables: ['users', 'courses'],
        filters: { users: { dateFrom: '2024-01-01' } },
        columns: {},
        format: 'csv',
        compression: 'none',
        formulaGuard: false,
        consistency: 'chunked',
      },
      compression: 'none',
    });
    expect(deps.queue.messages).toEqual([{ jobId }]);
    expect(deps.audit.entries).toEqual([
      expect.objectContaining({ action: 'request', status: 'accepted', jobId }),
    ]);
  });

  it('queues a parquet export, and refuses parquet with gzip with 400 naming compression', async () => {
    const parquet = await invoke(
      handler(),
      apiEvent({ method: 'POST', authorizer: asAdmin, body: { ...body, format: 'parquet' } }),
    );
    const gzipped = await invoke(
      handler(),
      apiEvent({
        method: 'POST',
        authorizer: asAdmin,
        body: { ...body, format: 'parquet', compression: 'gzip' },
      }),
    );

    expect(parquet.statusCode).toBe(202);
    expect(await deps.jobs.get(bodyOf<{ jobId: string }>(parquet).jobId)).toMatchObject({
      format: 'parquet',
      compression: 'none',
    });
    expect(gzipped.statusCode).toBe(400);
    expect(bodyOf<{ error: { details: { field: string }[] } }>(gzipped).error.details).toEqual([
      { field: 'compression', message: expect.stringMatching(/parquet files compress their pages/) },
    ]);
    expect(deps.queue.messages).toHaveLength(1);
  });

  it('returns the same job for the same Idempotency-Key and body, 409 for another body', async () => {
    const headers = { 'Idempotency-Key': 'abc-123' };
    const first = await invoke(handler(), apiEvent({ method: 'POST', authorizer: asAdmin, body, headers }));
    const again = await invoke(handler(), apiEvent({ method: 'POST', authorizer: asAdmin, body, headers }));
    const other = await invoke(
      handler(),
      apiEvent({ method: 'POST', authorizer: asAdmin, body: { ...body, format: 'json' }, headers }),
    );

    expect(bodyOf(again)).toEqual(bodyOf(first));
    expect(headerOf(again, 'idempotent-replayed')).toBe('true');
    expect(other.statusCode).toBe(409);
    expect(deps.queue.messages).toHaveLength(1);
  });

  it('marks the job failed and answers 503 when the queue is down', async () => {
    deps.queue.unavailable = true;

    const response = await invoke(handler(), apiEvent({ method: 'POST', authorizer: asAdmin, body }));

    expect(response.statusCode).toBe(503);
    const { jobId } = bodyOf<{ error: { details: { jobId: string } } }>(response).error.details;
    expect(await deps.jobs.get(jobId)).toMatchObject({
      status: 'failed',
      error: { code: 'enqueue_failed', retryable: true },
    });
  });

  it('refuses non-admins with 403 and an audit row', async () => {
    const response = await invoke(handler(), apiEvent({ method: 'POST', authorizer: asUser, body }));

    expect(response.statusCode).toBe(403);
    expect(deps.audit.entries[0]).toMatchObject({ action: 'denied', exportType: 'bulk' });
    expect(deps.jobs.jobs.size).toBe(0);
  });

  it('answers 429 with Retry-After on the sixth request of a window', async () => {
    for (let i = 0; i < 5; i++) {
      expect(
        (await invoke(handler(), apiEvent({ method: 'POST', authorizer: asAdmin, body }))).statusCode,
      ).toBe(202);
    }

    const refused = await invoke(handler(), apiEvent({ method: 'POST', authorizer: asAdmin, body }));

    expect(refused.statusCode).toBe(429);
    expect(Number(headerOf(refused, 'retry-after'))).toBeGreaterThan(0);
    expect(deps.audit.entries.at(-1)).toMatchObject({ action: 'rate_limited' });
  });

  it('names body for malformed JSON and each unknown field', async () => {
    const malformed = await invoke(
      handler(),
      apiEvent({ method: 'POST', authorizer: asAdmin, body: '{"tables":' }),
    );
    const unknown = await invoke(
      handler(),
      apiEvent({ method: 'POST', authorizer: asAdmin, body: { ...body, colour: 'red' } }),
    );
    const missing = await invoke(handler(), apiEvent({ method: 'POST', authorizer: asAdmin }));

    expect(bodyOf<{ error: { details: { field: string }[] } }>(malformed).error.details[0]?.field).toBe(
      'body',
    );
    expect(bodyOf<{ error: { details: { field: string }[] } }>(unknown).error.details).toEqual([
      { field: 'colour', message: 'unknown field' },
    ]);
    expect(missing.statusCode).toBe(400);
  });

  it('answers 413 for an oversized body', async () => {
    const response = await invoke(
      handler(),
      apiEvent({ method: 'POST', authorizer: asAdmin, body: { ...body, padding: 'x'.repeat(20_000) } }),
    );

    expect(response.statusCode).toBe(413);
  });
});

describe('job routes', () => {
  it('shows a job to its owner with progress, and a download link once completed', async () => {
    const job = deps.jobs.put({
      requestedBy: USER,
      status: 'completed',
      startedAt: new Date('2024-05-01T10:00:00Z'),
      completedAt: new Date('2024-05-01T10:00:05Z'),
      result: {
        objectKey: 'exports/x/users.csv',
        fileName: 'users.csv',
        contentType: 'text/csv',
        bytes: 10,
        sha256: 'ab',
        rows: 2,
        tables: [{ name: 'users', rows: 2 }],
        exportedAt: '2024-05-01T10:00:00Z',
      },
    });

    const response = await invoke(
      getJob(provide),
      apiEvent({ authorizer: asUser, pathParameters: { jobId: job.id } }),
    );

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      jobId: job.id,
      status: 'completed',
      durationMs: 5000,
      progress: { percent: 100, tablesDone: 1, tablesTotal: 1 },
      downloadUrl: `https://api.example.com/prod/api/export/jobs/${job.id}/download`,
    });
  });

  it("hides another user's job (403, audited) and answers 404 for an unknown one", async () => {
    const job = deps.jobs.put({ requestedBy: USER });

    const forbidden = await invoke(
      getJob(provide),
      apiEvent({ authorizer: asOther, pathParameters: { jobId: job.id } }),
    );
    const missing = await invoke(
      getJob(provide),
      apiEvent({ authorizer: asUser, pathParameters: { jobId: randomUUID() } }),
    );

    expect(forbidden.statusCode).toBe(403);
    expect(deps.audit.entries).toEqual([expect.objectContaining({ action: 'denied', jobId: job.id })]);
    expect(missing.statusCode).toBe(404);
  });

  it('lists own jobs newest first with a cursor; admins see all', async () => {
    for (let i = 0; i < 3; i++)
      deps.jobs.put({ requestedBy: USER, createdAt: new Date(Date.UTC(2024, 0, 1 + i)) });
    deps.jobs.put({ requestedBy: OTHER });

    const first = bodyOf<{ jobs: { createdAt: string }[]; nextCursor: string }>(
      await invoke(listJobs(provide), apiEvent({ authorizer: asUser, query: { limit: '2' } })),
    );
    const second = bodyOf<{ jobs: unknown[]; nextCursor: string | null }>(
      await invoke(
        listJobs(provide),
        apiEvent({ authorizer: asUser, query: { limit: '2', cursor: first.nextCursor } }),
      ),
    );
    const all = bodyOf<{ jobs: unknown[] }>(
      await invoke(listJobs(provide), apiEvent({ authorizer: asAdmin })),
    );

    expect(first.jobs.map((j) => j.createdAt.slice(0, 10))).toEqual(['2024-01-03', '2024-01-02']);
    expect(second).toMatchObject({ jobs: [expect.anything()], nextCursor: null });
    expect(all.jobs).toHaveLength(4);
  });

  it('rejects a forged cursor and a page size over 100', async () => {
    const cursor = await invoke(
      listJobs(provide),
      apiEvent({ authorizer: asUser, query: { cursor: 'bm9wZQ' } }),
    );
    const limit = await invoke(listJobs(provide), apiEvent({ authorizer: asUser, query: { limit: '101' } }));

    expect(cursor.statusCode).toBe(400);
    expect(limit.statusCode).toBe(400);
  });

  it('cancels a queued job (200), flags a running one (202), refuses a finished one (409)', async () => {
    const queued = deps.jobs.put({ requestedBy: USER });
    const running = deps.jobs.put({ requestedBy: USER, status: 'processing' });
    const done = deps.jobs.put({ requestedBy: USER, status: 'completed' });
    const cancel = (jobId: string) =>
      invoke(
        cancelJob(provide),
        apiEvent({ method: 'DELETE', authorizer: asUser, pathParameters: { jobId } }),
      );

    expect((await cancel(queued.id)).statusCode).toBe(200);
    const flagged = await cancel(running.id);
    expect(flagged.statusCode).toBe(202);
    expect(bodyOf(flagged)).toMatchObject({ status: 'processing', cancelRequested: true });
    expect((await cancel(done.id)).statusCode).toBe(409);
    expect(deps.audit.entries.map((e) => e.action)).toEqual(['cancelled', 'cancelled']);
  });
});

describe('GET /jobs/{jobId}/download', () => {
  const completed = () => {
    const job = deps.jobs.put({
      requestedBy: USER,
      status: 'completed',
      result: {
        objectKey: 'exports/j/users.csv',
        fileName: 'users.csv',
        contentType: 'text/csv',
        bytes: 3,
        sha256: 'x',
        rows: 1,
        tables: [],
        exportedAt: '2024-05-01T00:00:00Z',
      },
    });
    deps.store.objects.set('exports/j/users.csv', Buffer.from('a,b'));
    return job;
  };

  it("serves only the object the completion recorded: a replaced object is a 409, never another run's file", async () => {
    const job = deps.jobs.put({
      requestedBy: USER,
      status: 'completed',
      result: {
        objectKey: 'daily/transactions/daily_transactions_2024-05-01.csv',
        fileName: 'daily_transactions_2024-05-01.csv',
        contentType: 'text/csv',
        bytes: 3,
        sha256: 'x',
        etag: createHash('md5').update('a,b').digest('hex'),
        rows: 1,
        tables: [],
        exportedAt: '2024-05-01T00:00:00Z',
      },
    });
    const token = await bearerToken(USER);
    const download = () =>
      invoke(
        downloadJob(provide),
        apiEvent({ pathParameters: { jobId: job.id }, headers: { Authorization: `Bearer ${token}` } }),
      );

    deps.store.objects.set(job.result!.objectKey, Buffer.from('a,b'));
    const recorded = await download();
    deps.store.objects.set(job.result!.objectKey, Buffer.from('c,d'));
    const replaced = await download();

    expect(recorded.statusCode).toBe(302);
    expect(replaced.statusCode).toBe(409);
    expect(bodyOf(replaced)).toMatchObject({ error: { code: 'conflict' } });
  });

  it('redirects the owner (bearer) to a fresh presigned URL and audits the download', async () => {
    const job = completed();
    const token = await bearerToken(USER);

    const response = await invoke(
      downloadJob(provide),
      apiEvent({ pathParameters: { jobId: job.id }, headers: { Authorization: `Bearer ${token}` } }),
    );

    expect(response.statusCode).toBe(302);
    const location = headerOf(response, 'location')!;
    expect(new URL(location).searchParams.get('X-Amz-Expires')).toBe('300');
    expect(deps.store.download(location)).toEqual({
      status: 200,
      body: Buffer.from('a,b'),
      contentDisposition: attachmentDisposition('users.csv'),
    });
    expect(deps.audit.entries).toEqual([
      expect.objectContaining({ action: 'download', status: 'ok', userId: USER }),
    ]);
  });

  it('answers the presigned URL as JSON when the client asks for JSON, and still audits', async () => {
    const job = completed();
    const token = await bearerToken(USER);

    const response = await invoke(
      downloadJob(provide),
      apiEvent({
        pathParameters: { jobId: job.id },
        headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      }),
    );
    const browser = await invoke(
      downloadJob(provide),
      apiEvent({
        pathParameters: { jobId: job.id },
        headers: { Authorization: `Bearer ${token}`, Accept: 'text/html,application/xml;q=0.9,*/*;q=0.8' },
      }),
    );

    expect(response.statusCode).toBe(200);
    const { url, expiresAt } = bodyOf<{ url: string; expiresAt: string }>(response);
    expect(deps.store.download(url)).toMatchObject({ status: 200, body: Buffer.from('a,b') });
    expect(expiresAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(browser.statusCode).toBe(302);
    expect(deps.audit.entries.map((e) => `${e.action}:${e.status}`)).toEqual(['download:ok', 'download:ok']);
  });

  it('accepts a link token for the job and refuses one for another job', async () => {
    const job = completed();
    const good = await createLinkToken(TEST_LINK_SECRET, { jobId: job.id, userId: USER }, 3600);
    const other = await createLinkToken(TEST_LINK_SECRET, { jobId: randomUUID(), userId: USER }, 3600);

    const ok = await invoke(
      downloadJob(provide),
      apiEvent({ pathParameters: { jobId: job.id }, query: { token: good } }),
    );
    const refused = await invoke(
      downloadJob(provide),
      apiEvent({ pathParameters: { jobId: job.id }, query: { token: other } }),
    );

    expect(ok.statusCode).toBe(302);
    expect(refused.statusCode).toBe(401);
    // A refusal without valid credentials is counted, not audited (anyone can send one).
    expect(deps.audit.entries.map((e) => `${e.action}:${e.status}`)).toEqual(['download:ok']);
  });

  it('counts refusals without valid credentials as a metric instead of writing them', async () => {
    const job = completed();
    const addMetric = vi.spyOn(metrics, 'addMetric');

    const response = await invoke(
      downloadJob(provide),
      apiEvent({ pathParameters: { jobId: job.id }, query: { token: 'a.b.c' } }),
    );

    expect(response.statusCode).toBe(401);
    expect(addMetric).toHaveBeenCalledWith(UNAUTHENTICATED_METRIC, 'Count', 1);
    expect(deps.audit.entries).toEqual([]);
    addMetric.mockRestore();
  });

  it('answers 401 without credentials, 403 for another user, 409 before completion', async () => {
    const job = completed();
    const queued = deps.jobs.put({ requestedBy: USER });
    const otherToken = await bearerToken(OTHER);
    const userToken = await bearerToken(USER);

    const anonymous = await invoke(downloadJob(provide), apiEvent({ pathParameters: { jobId: job.id } }));
    const other = await invoke(
      downloadJob(provide),
      apiEvent({ pathParameters: { jobId: job.id }, headers: { Authorization: `Bearer ${otherToken}` } }),
    );
    const early = await invoke(
      downloadJob(provide),
      apiEvent({ pathParameters: { jobId: queued.id }, headers: { Authorization: `Bearer ${userToken}` } }),
    );

    expect([anonymous.statusCode, other.statusCode, early.statusCode]).toEqual([401, 403, 409]);
  });
});

describe('admin and misc routes', () => {
  it('lists the schedules with next run times', async () => {
    deps = fakeApiDeps({ now: () => new Date('2024-05-01T12:00:00Z') });

    const response = await invoke(listSchedules(provide), apiEvent({ authorizer: asAdmin }));

    expect(response.statusCode).toBe(200);
    expect(bodyOf<{ schedules: { name: string; nextRuns: string[] }[] }>(response).schedules).toContainEqual(
      expect.objectContaining({
        name: 'daily_transactions',
        nextRuns: ['2024-05-02T01:00:00.000Z', '2024-05-03T01:00:00.000Z', '2024-05-04T01:00:00.000Z'],
      }),
    );
  });

  it('runs a schedule for a date at the cron time of day and queues it', async () => {
    deps = fakeApiDeps({ now: () => new Date('2024-05-10T12:00:00Z') });

    const response = await invoke(
      runSchedule(provide),
      apiEvent({
        method: 'POST',
        authorizer: asAdmin,
        pathParameters: { name: 'weekly_users' },
        body: { date: '2024-05-08' },
      }),
    );

    expect(response.statusCode).toBe(202);
    const { jobId } = bodyOf<{ jobId: string }>(response);
    expect(deps.queue.messages).toEqual([{ jobId }]);
    expect(deps.audit.entries.at(-1)).toMatchObject({
      action: 'schedule_run',
      details: expect.objectContaining({ scheduledFor: '2024-05-08T02:00:00.000Z' }),
    });
  });

  it('refuses an unknown schedule (404), a future date and a malformed date (400)', async () => {
    deps = fakeApiDeps({ now: () => new Date('2024-05-10T12:00:00Z') });
    const run = (name: string, body?: unknown) =>
      invoke(
        runSchedule(provide),
        apiEvent({ method: 'POST', authorizer: asAdmin, pathParameters: { name }, body }),
      );

    expect((await run('no_such_schedule')).statusCode).toBe(404);
    expect((await run('daily_transactions', { date: '2024-05-11' })).statusCode).toBe(400);
    expect((await run('daily_transactions', { date: '2024-02-30' })).statusCode).toBe(400);
  });

  it('serves metrics to admins only', async () => {
    expect(
      (await invoke(getMetrics(provide), apiEvent({ authorizer: asAdmin, query: { since: '2024-01-01' } })))
        .statusCode,
    ).toBe(200);
    expect((await invoke(getMetrics(provide), apiEvent({ authorizer: asUser }))).statusCode).toBe(403);
    expect(
      (await invoke(getMetrics(provide), apiEvent({ authorizer: asAdmin, query: { since: 'yesterday' } })))
        .statusCode,
    ).toBe(400);
  });

  it('reports the remaining window without consuming it', async () => {
    const read = async () => bodyOf(await invoke(getLimits(provide), apiEvent({ authorizer: asUser })));

    expect(await read()).toMatchObject({ limit: 5, remaining: 5 });
    expect(await read()).toMatchObject({ remaining: 5 });
  });

  it('serves the export catalogue to any caller, without the columns that are never exported', async () => {
    const response = await invoke(getCatalogue, apiEvent({ authorizer: asUser }));

    expect(response.statusCode).toBe(200);
    const { tables } = bodyOf<{
      tables: { name: string; dateColumn: string; columns: { name: string; type: string }[] }[];
    }>(response);
    expect(tables.map((t) => t.name)).toEqual([
      'users',
      'courses',
      'enrollments',
      'transactions',
      'activity_logs',
    ]);
    const users = tables.find((t) => t.name === 'users');
    expect(users?.dateColumn).toBe('created_at');
    expect(users?.columns).toContainEqual({ name: 'email', type: 'text' });
    expect(users?.columns.map((c) => c.name)).not.toContain('password_hash');
    expect(users?.columns.map((c) => c.name)).not.toContain('mfa_secret');
  });

  it('serves the OpenAPI document without credentials', async () => {
    const response = await invoke(openapi, apiEvent());

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toMatchObject({ openapi: '3.1.0' });
  });
});
