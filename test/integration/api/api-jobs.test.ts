import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { JobList, JobViewSchema, MetricsResponse } from '../../../functions/api/api-schemas.js';
import { bearerToken, bodyOf } from '../../support/api-events.js';
import { auditRows, insertJob } from '../../support/api-fixtures.js';
import { type ApiHarness, startApiHarness } from '../../support/api-harness.js';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness({ rateLimitMax: 1000 });
});

afterAll(async () => {
  await api?.close();
});

describe('GET /jobs', () => {
  it('pages newest first, stable under inserts between pages and ties on created_at', async () => {
    const owner = randomUUID();
    const token = await bearerToken(owner);
    const base = Date.UTC(2025, 0, 1);
    const ids: string[] = [];
    // 23 jobs; every third shares its created_at with the previous one (ties broken by id).
    for (let i = 0; i < 23; i++) {
      ids.push(
        await insertJob(api.sql, {
          requestedBy: owner,
          createdAt: new Date(base + Math.floor(i / 3) * 2 * 60_000),
        }),
      );
    }
    const expected = (
      await api.sql<{ id: string }[]>`
        SELECT id FROM export_jobs WHERE requested_by = ${owner} ORDER BY created_at DESC, id DESC`
    ).map((r) => r.id);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await api.call('listJobs', {
        token,
        query: { limit: '5', ...(cursor && { cursor }) },
      });
      expect(response.statusCode).toBe(200);
      const page = JobList.parse(bodyOf(response));
      seen.push(...page.jobs.map((j) => j.jobId));
      cursor = page.nextCursor;
      // A job created while paging appears on top, never inside the remaining pages.
      await insertJob(api.sql, { requestedBy: owner });
    } while (cursor);

    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(23);
  });

  it("filters by status and never shows other users' jobs to a user", async () => {
    const owner = randomUUID();
    const token = await bearerToken(owner);
    await insertJob(api.sql, { requestedBy: owner, status: 'failed' });
    await insertJob(api.sql, { requestedBy: owner, status: 'queued' });
    await insertJob(api.sql, { requestedBy: randomUUID(), status: 'failed' });

    const page = JobList.parse(bodyOf(await api.call('listJobs', { token, query: { status: 'failed' } })));

    expect(page.jobs.map((j) => [j.requestedBy, j.status])).toEqual([[owner, 'failed']]);
  });

  it('shows admins every requester', async () => {
    const someone = randomUUID();
    await insertJob(api.sql, { requestedBy: someone, createdAt: new Date('2099-06-01T00:00:00Z') });
    const admin = await bearerToken(randomUUID(), { admin: true });

    const page = JobList.parse(bodyOf(await api.call('listJobs', { token: admin, query: { limit: '100' } })));

    expect(page.jobs.map((j) => j.requestedBy)).toContain(someone);
  });
});

describe('DELETE /jobs/{jobId}', () => {
  it('cancels a queued job at once and audits it', async () => {
    const owner = randomUUID();
    const token = await bearerToken(owner);
    const jobId = await insertJob(api.sql, { requestedBy: owner });

    const response = await api.call('cancelJob', { token, pathParameters: { jobId } });

    expect(response.statusCode).toBe(200);
    expect(JobViewSchema.parse(bodyOf(response))).toMatchObject({
      status: 'cancelled',
      cancelRequested: true,
    });
    expect(await auditRows(api.sql, { jobId, action: 'cancelled', since: new Date(0) })).toEqual([
      expect.objectContaining({ user_id: owner, status: 'cancelled' }),
    ]);
  });

  it('asks a running job to stop (202) and refuses a finished one (409)', async () => {
    const owner = randomUUID();
    const admin = await bearerToken(randomUUID(), { admin: true });
    const running = await insertJob(api.sql, {
      requestedBy: owner,
      status: 'processing',
      startedAt: new Date(),
    });
    const done = await insertJob(api.sql, {
      requestedBy: owner,
      status: 'completed',
      completedAt: new Date(),
    });

    const flagged = await api.call('cancelJob', { token: admin, pathParameters: { jobId: running } });
    const refused = await api.call('cancelJob', { token: admin, pathParameters: { jobId: done } });

    expect(flagged.statusCode).toBe(202);
    const [row] = await api.sql`SELECT status, cancel_requested FROM export_jobs WHERE id = ${running}`;
    expect(row).toEqual({ status: 'processing', cancel_requested: true });
    expect(refused.statusCode).toBe(409);
    expect(bodyOf(refused)).toMatchObject({ error: { code: 'conflict', details: { status: 'completed' } } });
  });
});

describe('GET /metrics', () => {
  it('computes outcomes, duration percentiles, rows and bytes in SQL, by kind and format', async () => {
    const admin = await bearerToken(randomUUID(), { admin: true });
    const at = (s: number) => new Date(Date.UTC(2150, 0, 1, 0, 0, s));
    // Completed durations 1, 2, 3, 4 and 100 s; one failed, one cancelled, one queued.
    const durations = [1, 2, 3, 4, 100];
    for (const [i, d] of durations.entries()) {
      await insertJob(api.sql, {
        requestedBy: 'metrics',
        status: 'completed',
        kind: i < 2 ? 'user' : 'bulk',
        format: i === 0 ? 'json' : 'csv',
        createdAt: at(0),
        startedAt: at(10),
        completedAt: at(10 + d),
        rows: 10,
        bytes: 1000,
      });
    }
    await insertJob(api.sql, { requestedBy: 'metrics', status: 'failed', createdAt: at(1), rows: 5 });
    await insertJob(api.sql, { requestedBy: 'metrics', status: 'cancelled', createdAt: at(2) });
    await insertJob(api.sql, { requestedBy: 'metrics', status: 'queued', createdAt: at(3) });

    const response = await api.call('getMetrics', { token: admin, query: { since: '2150-01-01' } });

    expect(response.statusCode).toBe(200);
    const metrics = MetricsResponse.parse(bodyOf(response));
    // Independent oracle: percentile_cont interpolates between the sorted values (1,2,3,4,100 s):
    // p50 = 3 s; p95 = 4 + 0.8 × (100 − 4) = 80.8 s; mean = 110 / 5 = 22 s.
    expect(metrics).toMatchObject({
      total: 8,
      succeeded: 5,
      failed: 1,
      cancelled: 1,
      queued: 1,
      durationMs: { avg: 22_000, p50: 3_000, p95: 80_800 },
      rows: 55,
      bytes: 5000,
    });
    expect(metrics.byKind.user).toMatchObject({ total: 2, succeeded: 2, durationMs: { p50: 1_500 } });
    expect(metrics.byKind.bulk).toMatchObject({ total: 6, succeeded: 3 });
    expect(metrics.byFormat.json).toMatchObject({ total: 1, durationMs: { avg: 1_000 } });
    expect(metrics.byFormat.csv).toMatchObject({ total: 7 });
  });

  it('answers zeros and nulls for an empty period', async () => {
    const admin = await bearerToken(randomUUID(), { admin: true });

    const metrics = MetricsResponse.parse(
      bodyOf(await api.call('getMetrics', { token: admin, query: { since: '2199-01-01T00:00:00Z' } })),
    );

    expect(metrics).toMatchObject({
      total: 0,
      durationMs: { avg: null, p50: null, p95: null },
      byKind: {},
      byFormat: {},
    });
  });
});
