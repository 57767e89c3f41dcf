import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { createHandler as bulkExport } from '../../../functions/handlers/bulk-export.js';
import { apiEvent, authorizerContext, bodyOf, headerOf, invoke } from '../../support/api-events.js';
import { type FakeApiDeps, fakeApiDeps } from '../../support/api-fakes.js';

const USER = randomUUID();
const ADMIN = randomUUID();
const asUser = authorizerContext(USER);
const asAdmin = authorizerContext(ADMIN, { admin: true });

let deps: FakeApiDeps;
const provide = () => Promise.resolve(deps);

beforeEach(() => {
  deps = fakeApiDeps();
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
