import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessToken } from '../../functions/domain/access/auth.js';
import { DEMO_ADMIN_EMAIL, DEMO_ADMIN_ID } from '../../local/demo-data.js';
import { freePort } from '../../local/embedded-postgres.js';
import { loadLocalSecrets } from '../../local/local-secrets.js';
import { bulkSpec } from '../support/job-specs.js';
import { killRuntime, type RuntimeProcess, startRuntime } from './support/runtime-process.js';

/**
 * Webhooks end to end on the local runtime: real HTTP receivers on this machine, every request's
 * signature verified with the official `standardwebhooks` package (not with the service's code).
 */

/** JSON answers, read field by field as a client script would. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions check the shapes
type Json = any;

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let dataDir: string;
let runtime: RuntimeProcess | undefined;
let sql: Sql;
let receiver: Server;
let receiverUrl: string;
let token: string;
const received: Received[] = [];
/** Answers of `/flaky` still to give before it answers 200. */
let flakyFailures = 3;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (req.url === '/flaky' && flakyFailures > 0) {
        flakyFailures--;
        res.writeHead(500).end('not yet');
      } else if (req.url === '/gone') res.writeHead(410).end();
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  dataDir = mkdtempSync(path.join(os.tmpdir(), 'export-e2e-webhooks-'));
  chmodSync(dataDir, 0o755);
  runtime = await startRuntime({
    dataDir,
    port: await freePort(),
    env: {
      SCHEDULER: 'off',
      SWEEP_INTERVAL_SECONDS: '1',
      SWEEP_GRACE_SECONDS: '1',
      NOTIFY_GRACE_SECONDS: '3',
      // Retries at once: the back-off itself is a unit (and SQS visibility) matter.
      WEBHOOK_RETRY_BASE_SECONDS: '0',
    },
  });
  sql = postgres(runtime.info.databaseUrl, { max: 1, onnotice: () => {} });
  const { jwtSecret } = await loadLocalSecrets(dataDir);
  token = await createAccessToken(jwtSecret, {
    sub: DEMO_ADMIN_ID,
    email: DEMO_ADMIN_EMAIL,
    roles: ['admin'],
  });
}, 200_000);

afterAll(async () => {
  await sql?.end();
  await runtime?.stop().catch(() => killRuntime(runtime));
  await new Promise((resolve) => receiver?.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function api(method: string, route: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${runtime!.info.apiUrl}/api/export${route}`, {
    method,
    headers: {
      'x-api-key': runtime!.info.apiKey,
      Authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

/** The verified payloads `path` received, in order (a bad signature throws). */
function verified(pathName: string, secret: string): { id: string; type: string; data: Json }[] {
  return received
    .filter((r) => r.path === pathName)
    .map((r) => {
      const payload = new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as {
        type: string;
        data: Json;
      };
      return { id: String(r.headers['webhook-id']), ...payload };
    });
}

describe('webhooks on the local runtime', () => {
  let secret: string;
  let flakySecret: string;
  let completedJob: string;
  let failedJob: string;
  let cancelledJob: string;

  it('registers an endpoint and shows its whsec_ secret once', async () => {
    const created = await api('POST', '/webhooks', {
      url: `${receiverUrl}/hooks`,
      description: 'all events',
    });
    const flaky = await api('POST', '/webhooks', {
      url: `${receiverUrl}/flaky`,
      events: ['export.completed'],
    });
    const list = await api('GET', '/webhooks');

    expect(created.status).toBe(201);
    expect(created.json.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.json.events).toEqual(['export.completed', 'export.failed', 'export.cancelled']);
    secret = created.json.secret;
    flakySecret = flaky.json.secret;
    expect(list.json.webhooks.map((w: Json) => w.url).sort()).toEqual([
      `${receiverUrl}/flaky`,
      `${receiverUrl}/hooks`,
    ]);
    expect(JSON.stringify(list.json)).not.toContain('whsec_');
  });

  it('delivers exactly one signed export.completed, export.failed and export.cancelled per job', async () => {
    completedJob = (await api('POST', '/bulk', { tables: ['courses'], format: 'csv' })).json.jobId;
    // A job whose table left the catalogue fails for good; one never sent to the queue is swept to it.
    [{ id: failedJob }] = (await sql<{ id: string }[]>`
      INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email, created_at, updated_at)
      VALUES ('bulk', ${sql.json(bulkSpec({ tables: ['payroll'] }) as never)}, '["payroll"]', 'csv', 'none', ${DEMO_ADMIN_ID}, ${DEMO_ADMIN_EMAIL},
              now() - interval '1 hour', now() - interval '1 hour')
      RETURNING id`) as unknown as [{ id: string }];
    // A queued job cancelled by the API: no worker reports it; the sweeper publishes its event.
    [{ id: cancelledJob }] = (await sql<{ id: string }[]>`
      INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email)
      VALUES ('bulk', ${sql.json(bulkSpec({ tables: ['courses'] }) as never)}, '["courses"]', 'csv', 'none', ${DEMO_ADMIN_ID}, ${DEMO_ADMIN_EMAIL})
      RETURNING id`) as unknown as [{ id: string }];
    expect((await api('DELETE', `/jobs/${cancelledJob}`)).status).toBe(200);

    const typesByJob = () =>
      Object.fromEntries(verified('/hooks', secret).map((p) => [p.data.jobId, p.type]));
    await expect.poll(typesByJob, { timeout: 90_000, interval: 250 }).toEqual({
      [completedJob]: 'export.completed',
      [failedJob]: 'export.failed',
      [cancelledJob]: 'export.cancelled',
    });
    // Every notification is recorded as sent, so no sweep sends any of them again.
    await expect
      .poll(
        async () =>
          (
            await sql`SELECT id FROM export_jobs WHERE id IN ${sql([completedJob, failedJob, cancelledJob])}
                       AND event_sent_at IS NOT NULL`
          ).length,
        { timeout: 30_000 },
      )
      .toBe(3);
    const logged = await api(
      'GET',
      `/webhooks/${(await api('GET', '/webhooks')).json.webhooks.find((w: Json) => w.url.endsWith('/hooks')).id}/deliveries`,
    );

    const payloads = verified('/hooks', secret);
    expect(payloads).toHaveLength(3);
    expect(new Set(payloads.map((p) => p.id)).size).toBe(3);
    const completed = payloads.find((p) => p.type === 'export.completed')!;
    expect(completed.id).toBe(`evt_${completedJob}_completed`);
    expect(completed.data).toMatchObject({
      jobId: completedJob,
      kind: 'bulk',
      format: 'csv',
      status: 'completed',
      files: 1,
      requestedBy: DEMO_ADMIN_ID,
    });
    expect(completed.data.rows).toBeGreaterThan(0);
    expect(JSON.stringify(payloads)).not.toMatch(/X-Amz-Signature|token=/);
    expect(payloads.find((p) => p.type === 'export.failed')!.data.error).toEqual({
      code: 'invalid_request',
      message: expect.stringContaining('Check the request'),
    });
    expect(logged.json.deliveries.map((d: Json) => [d.status, d.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
    ]);
    // The emulated bus kept one event per state change.
    const bus = readFileSync(runtime!.info.eventsFile!, 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) => JSON.parse(line) as { source: string; 'detail-type': string; detail: { jobId: string } },
      );
    const ofJobs = bus.filter((e) => [completedJob, failedJob, cancelledJob].includes(e.detail.jobId));
    expect(ofJobs.map((e) => [e.source, e['detail-type']]).sort()).toEqual([
      ['data-export', 'Export Cancelled'],
      ['data-export', 'Export Completed'],
      ['data-export', 'Export Failed'],
    ]);
  });

  it('retries a receiver that answers 500 three times, and it gets the event on the fourth attempt with the same webhook-id', async () => {
    await expect.poll(() => received.filter((r) => r.path === '/flaky').length, { timeout: 60_000 }).toBe(4);

    const attempts = received.filter((r) => r.path === '/flaky');
    expect(new Set(attempts.map((r) => r.headers['webhook-id']))).toEqual(
      new Set([`evt_${completedJob}_completed`]),
    );
    const payloads = verified('/flaky', flakySecret);
    expect(payloads.map((p) => p.type)).toEqual(Array(4).fill('export.completed'));
    const flaky = (await api('GET', '/webhooks')).json.webhooks.find((w: Json) => w.url.endsWith('/flaky'));
    const log = await api('GET', `/webhooks/${flaky.id}/deliveries`);
    expect(log.json.deliveries).toHaveLength(1);
    expect(log.json.deliveries[0]).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 204 });
    expect(log.json.deliveries[0].attemptLog.map((a: Json) => a.statusCode)).toEqual([204, 500, 500, 500]);
  });

  it('sends a signed test event, and disables an endpoint that answers 410 Gone', async () => {
    const gone = await api('POST', '/webhooks', { url: `${receiverUrl}/gone` });
    const hooks = (await api('GET', '/webhooks')).json.webhooks.find((w: Json) => w.url.endsWith('/hooks'));

    const test = await api('POST', `/webhooks/${hooks.id}/test`);
    const goneTest = await api('POST', `/webhooks/${gone.json.id}/test`);

    expect(test.status).toBe(202);
    expect(goneTest.status).toBe(202);
    await expect
      .poll(
        () =>
          verified('/hooks', secret)
            .filter((p) => p.type === 'webhook.test')
            .map((p) => p.id),
        {
          timeout: 30_000,
        },
      )
      .toEqual([test.json.eventId]);
    await expect
      .poll(
        async () =>
          (await api('GET', '/webhooks')).json.webhooks.find((w: Json) => w.id === gone.json.id).status,
        {
          timeout: 30_000,
        },
      )
      .toBe('disabled');
    expect(received.filter((r) => r.path === '/gone')).toHaveLength(1);
  });

  it('refuses a webhook to a private address with 400 naming url, even locally', async () => {
    const refused = await api('POST', '/webhooks', { url: 'http://10.0.0.1/hook' });

    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'validation_failed', details: [{ field: 'url' }] });
  });
});
