import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { createHandler as cancelJob } from '../../../functions/handlers/cancel-job.js';
import { createHandler as getJob } from '../../../functions/handlers/get-job.js';
import { createHandler as listJobs } from '../../../functions/handlers/list-jobs.js';
import { apiEvent, authorizerContext, bodyOf, invoke } from '../../support/api-events.js';
import { type FakeApiDeps, fakeApiDeps } from '../../support/api-fakes.js';

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
