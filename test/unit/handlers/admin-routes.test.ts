import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { handler as getCatalogue } from '../../../functions/handlers/get-catalogue.js';
import { createHandler as getLimits } from '../../../functions/handlers/get-limits.js';
import { createHandler as getMetrics } from '../../../functions/handlers/get-metrics.js';
import { createHandler as listSchedules } from '../../../functions/handlers/list-schedules.js';
import { handler as openapi } from '../../../functions/handlers/openapi.js';
import { createHandler as runSchedule } from '../../../functions/handlers/run-schedule.js';
import { apiEvent, authorizerContext, bodyOf, invoke } from '../../support/api-events.js';
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
