import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { createHandler as userExport } from '../../../functions/handlers/user-export.js';
import { apiEvent, authorizerContext, bodyOf, headerOf, invoke } from '../../support/api-events.js';
import { type FakeApiDeps, fakeApiDeps } from '../../support/api-fakes.js';
import { FakeExportDatabase } from '../../support/worker-fakes.js';

const ADMIN = randomUUID();
const USER = randomUUID();
const OTHER = randomUUID();
const asUser = authorizerContext(USER);
const asOther = authorizerContext(OTHER);
const asAdmin = authorizerContext(ADMIN, { admin: true });

let deps: FakeApiDeps;
const provide = () => Promise.resolve(deps);

beforeEach(() => {
  deps = fakeApiDeps();
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
