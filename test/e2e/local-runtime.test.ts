import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { XMLValidator } from 'fast-xml-parser';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessToken } from '../../functions/domain/access/auth.js';
import {
  DEMO_ADMIN_EMAIL,
  DEMO_ADMIN_ID,
  DEMO_USER_EMAIL,
  DEMO_USER_ID,
  demoUserId,
} from '../../local/demo-data.js';
import { freePort } from '../../local/embedded-postgres.js';
import { loadLocalSecrets } from '../../local/local-secrets.js';
import { listOutbox } from '../../local/outbox.js';
import { copyToBuffer } from '../support/services.js';
import { unzip } from '../support/zip.js';
import {
  killRuntime,
  processesMentioning,
  type RuntimeProcess,
  startRuntime,
} from './support/runtime-process.js';

/**
 * The local runtime (`npm start`) as a client meets it: started as a child process on free ports
 * with a fresh data directory, then used over HTTP only. The database is read directly only as the
 * oracle the exports are compared with.
 */

interface JobView {
  jobId: string;
  status: string;
  scheduledFor?: string;
  result: { fileName: string; rows: number } | null;
  error: unknown;
}

const POLL = { timeout: 90_000, interval: 250 } as const;
/** API Gateway allows 10 MiB; the e2e runtime is given less so the test need not send that much. */
const GATEWAY_MAX_BODY_BYTES = 256 * 1024;

let dataDir: string;
let runtime: RuntimeProcess | undefined;
let sql: Sql;
let apiKey: string;
let api: string;
let userToken: string;
let adminToken: string;
const startups: { kind: string; readyMs: number; runtimeMs: number }[] = [];

function headers(token: string | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'x-api-key': apiKey,
    ...(token && { Authorization: `Bearer ${token}` }),
    ...extra,
  };
}

async function call(
  method: string,
  route: string,
  token: string | undefined,
  init: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(`${api}${route}`, {
    method,
    headers: headers(token, {
      ...(init.body !== undefined && { 'Content-Type': 'application/json' }),
      ...init.headers,
    }),
    ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
}

async function waitForJob(jobId: string, token: string): Promise<JobView> {
  let job: JobView | undefined;
  await expect
    .poll(async () => {
      const response = await call('GET', `/jobs/${jobId}`, token);
      job = (await response.json()) as JobView;
      return job.status;
    }, POLL)
    .toMatch(/^(completed|failed|cancelled)$/);
  expect(job?.error ?? null).toBeNull();
  expect(job?.status).toBe('completed');
  return job!;
}

/** The job's completion email in the outbox, and its download link. */
async function emailedLink(jobId: string): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(async () => {
      const emails = await listOutbox(runtime!.info.outboxDir);
      link = emails.flatMap((email) => email.downloadLinks).find((candidate) => candidate.includes(jobId));
      return link !== undefined;
    }, POLL)
    .toBe(true);
  return link!;
}

/** Follows a download link as a browser would: the API's 302, then the presigned S3 URL. */
async function download(link: string, init: RequestInit = {}): Promise<Buffer> {
  const redirect = await fetch(link, { ...init, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  expect(redirect.status).toBe(302);
  const location = redirect.headers.get('location');
  expect(location).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
  const file = await fetch(location!, { signal: AbortSignal.timeout(30_000) });
  expect(file.status).toBe(200);
  return Buffer.from(await file.arrayBuffer());
}

/** `COPY (query) TO STDOUT WITH CSV HEADER` of a catalogue table's exportable columns: the CSV oracle. */
function csvOracle(table: string, columns: string, where = ''): Promise<Buffer> {
  return copyToBuffer(
    sql,
    `COPY (SELECT ${columns} FROM ${table} ${where} ORDER BY id) TO STDOUT WITH CSV HEADER`,
  );
}

/** `row_to_json` of the same rows: the JSON oracle. */
async function jsonOracle(table: string, columns: string): Promise<unknown[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT set_config('TimeZone', 'UTC', true)`;
    const [row] = await tx.unsafe<{ rows: string }[]>(
      `SELECT coalesce(json_agg(row_to_json(t) ORDER BY t.id), '[]')::text AS rows FROM (SELECT ${columns} FROM ${table}) t`,
    );
    return JSON.parse(row!.rows) as unknown[];
  });
}

const USER_COLUMNS = 'id, email, full_name, roles, locale, marketing_opt_in, created_at, updated_at';
const TRANSACTION_COLUMNS = 'id, user_id, amount, currency, status, description, metadata, created_at';
const COURSE_COLUMNS = 'id, title, price, created_at';
const ENROLLMENT_COLUMNS = 'id, user_id, course_id, status, progress, enrolled_at, completed_at, created_at';

async function start(kind: string): Promise<void> {
  runtime = await startRuntime({
    dataDir,
    port: await freePort(),
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', API_MAX_BODY_BYTES: String(GATEWAY_MAX_BODY_BYTES) },
  });
  api = `${runtime.info.apiUrl}/api/export`;
  apiKey = runtime.info.apiKey;
  startups.push({ kind, readyMs: runtime.readyMs, runtimeMs: runtime.info.startupMs });
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'export-e2e-'));
  // Postgres runs as its own system user when the tests run as root: it must reach its directory.
  chmodSync(dataDir, 0o755);
  await start('cold (fresh data directory)');
  sql = postgres(runtime!.info.databaseUrl, { max: 2, onnotice: () => {} });
  const { jwtSecret } = await loadLocalSecrets(dataDir);
  userToken = await createAccessToken(jwtSecret, {
    sub: DEMO_USER_ID,
    email: DEMO_USER_EMAIL,
    roles: ['user'],
  });
  adminToken = await createAccessToken(jwtSecret, {
    sub: DEMO_ADMIN_ID,
    email: DEMO_ADMIN_EMAIL,
    roles: ['admin'],
  });
});

afterAll(async () => {
  await sql?.end({ timeout: 5 });
  if (runtime && runtime.child.exitCode === null && runtime.child.signalCode === null) {
    await runtime.stop().catch(() => killRuntime(runtime));
  }
  console.log(
    `local runtime start-up: ${startups.map((s) => `${s.kind}: ready after ${s.readyMs} ms (runtime's own ${s.runtimeMs} ms)`).join('; ')}`,
  );
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('local runtime over HTTP', () => {
  it("exports the caller's own data inline in each format", async () => {
    const [row] = await sql<{ count: number }[]>`
      SELECT count(*)::int AS count FROM transactions WHERE user_id = ${DEMO_USER_ID}
    `;
    const count = row!.count;

    const json = await call('GET', `/user/${DEMO_USER_ID}?format=json`, userToken);
    expect(json.status).toBe(200);
    const text = await json.text();
    expect(text).not.toMatch(/password_hash|mfa_secret|\$argon2id|MFASECRET/);
    const body = JSON.parse(text) as { profile: { id: string }; transactions: unknown[]; exportedAt: string };
    expect(body.profile.id).toBe(DEMO_USER_ID);
    expect(body.transactions).toHaveLength(count);

    const xml = await call('GET', `/user/${DEMO_USER_ID}?format=xml`, userToken);
    expect(xml.status).toBe(200);
    expect(xml.headers.get('content-type')).toMatch(/xml/);
    const document = await xml.text();
    expect(XMLValidator.validate(document)).toBe(true);
    expect(document).toContain(DEMO_USER_ID);

    const csv = await call('GET', `/user/${DEMO_USER_ID}?format=csv`, userToken);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('application/zip');
    const csvFiles = await unzip(Buffer.from(await csv.arrayBuffer()));
    const transactionsCsv = [...csvFiles]
      .find(([name]) => name.startsWith('transactions'))?.[1]
      .toString('utf8');
    expect(transactionsCsv?.split('\n')[0]).toBe(
      'id,user_id,amount,currency,status,description,metadata,created_at',
    );
    // The formula guard is on by default for user exports.
    expect(transactionsCsv).toContain("'=1+1");

    const ndjson = await call('GET', `/user/${DEMO_USER_ID}?format=ndjson`, userToken);
    expect(ndjson.status).toBe(200);
    const ndjsonFiles = await unzip(Buffer.from(await ndjson.arrayBuffer()));
    const lines = [...ndjsonFiles]
      .find(([name]) => name.startsWith('transactions'))?.[1]
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '');
    expect(lines).toHaveLength(count);
    for (const line of lines ?? [])
      expect((JSON.parse(line) as { user_id: string }).user_id).toBe(DEMO_USER_ID);
  });

  it('completes an asynchronous export of a user whose id carries no RFC 4122 version bits, as Postgres holds it', async () => {
    // Postgres's uuid accepts any 8-4-4-4-12 hex; most demo ids have no version/variant bits.
    const index = Array.from({ length: 50 }, (_, i) => i + 3).find(
      (i) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(demoUserId(i)),
    )!;
    const userId = demoUserId(index);
    const { jwtSecret } = await loadLocalSecrets(dataDir);
    const token = await createAccessToken(jwtSecret, { sub: userId, email: 'plain@example.com' });

    const inline = await call('GET', `/user/${userId}?format=json`, token);
    const queued = await call('GET', `/user/${userId}?format=csv`, token, {
      headers: { Prefer: 'respond-async' },
    });

    expect(inline.status).toBe(200);
    expect(queued.status).toBe(202);
    const { jobId } = (await queued.json()) as { jobId: string };
    const job = await waitForJob(jobId, token);
    expect(job.result?.rows).toBeGreaterThan(0);
  });

  it('runs a bulk CSV export to completion and the emailed link downloads exactly the database rows', async () => {
    const accepted = await call('POST', '/bulk', adminToken, {
      body: { tables: ['users', 'transactions'], format: 'csv' },
    });
    expect(accepted.status).toBe(202);
    const { jobId } = (await accepted.json()) as { jobId: string };

    await waitForJob(jobId, adminToken);
    const link = await emailedLink(jobId);
    // The emailed link needs neither API key nor bearer token: it is opened in a browser.
    const files = await unzip(await download(link));

    expect([...files.keys()].sort()).toEqual(['transactions.csv', 'users.csv']);
    expect(files.get('users.csv')?.equals(await csvOracle('users', USER_COLUMNS))).toBe(true);
    expect(files.get('transactions.csv')?.equals(await csvOracle('transactions', TRANSACTION_COLUMNS))).toBe(
      true,
    );
  });

  it('runs a bulk JSON export to completion and the emailed link downloads the row_to_json rows', async () => {
    const accepted = await call('POST', '/bulk', adminToken, {
      body: { tables: ['courses', 'enrollments'], format: 'json' },
      headers: { 'Idempotency-Key': 'e2e-bulk-json' },
    });
    expect(accepted.status).toBe(202);
    const { jobId } = (await accepted.json()) as { jobId: string };

    await waitForJob(jobId, adminToken);
    const document = JSON.parse((await download(await emailedLink(jobId))).toString('utf8')) as Record<
      string,
      unknown
    >;

    expect(document.courses).toEqual(await jsonOracle('courses', COURSE_COLUMNS));
    expect(document.enrollments).toEqual(await jsonOracle('enrollments', ENROLLMENT_COLUMNS));
    expect(typeof document.exportedAt).toBe('string');
  });

  it('runs a scheduled export now, through the queue and worker, into its catalogue destination', async () => {
    const accepted = await call('POST', '/schedules/daily_transactions/run', adminToken, {
      body: { force: true },
    });
    expect(accepted.status).toBe(202);
    const { jobId } = (await accepted.json()) as { jobId: string };

    const job = await waitForJob(jobId, adminToken);
    expect(job.result?.fileName).toMatch(/^daily_transactions_\d{4}-\d{2}-\d{2}/);
    // The window is the UTC day before the scheduled run's date.
    const runDay = Date.parse(`${job.scheduledFor!.slice(0, 10)}T00:00:00Z`);
    const from = new Date(runDay - 86_400_000).toISOString();
    const to = new Date(runDay).toISOString();
    const file = await download(`${api}/jobs/${jobId}/download`, { headers: headers(adminToken) });
    expect(
      file.equals(
        await csvOracle(
          'transactions',
          TRANSACTION_COLUMNS,
          `WHERE created_at >= '${from}'::timestamptz AND created_at < '${to}'::timestamptz`,
        ),
      ),
    ).toBe(true);
  });

  it("refuses another user's export with 403", async () => {
    const { jwtSecret } = await loadLocalSecrets(dataDir);
    const other = await createAccessToken(jwtSecret, { sub: demoUserId(3), roles: ['user'] });

    const response = await call('GET', `/user/${DEMO_USER_ID}?format=json`, other);

    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('forbidden');
  });

  it('answers the sixth export request within the window with 429 and Retry-After', async () => {
    const { jwtSecret } = await loadLocalSecrets(dataDir);
    const userId = demoUserId(4);
    const token = await createAccessToken(jwtSecret, { sub: userId, roles: ['user'] });

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await call('GET', `/user/${userId}?format=json`, token)).status);
    }
    const sixth = await call('GET', `/user/${userId}?format=json`, token);

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await sixth.json()) as { error: { code: string } }).error.code).toBe('rate_limited');
  });

  it('refuses a missing API key with 403 and a missing or bad bearer token with 401, as API Gateway does', async () => {
    const noKey = await fetch(`${api}/limits`, { headers: { Authorization: `Bearer ${userToken}` } });
    const noToken = await call('GET', '/limits', undefined);
    const badToken = await call('GET', '/limits', `${userToken}x`);
    const unknown = await call('GET', '/nothing-here', userToken);

    expect(noKey.status).toBe(403);
    expect(await noKey.json()).toEqual({ error: { code: 'forbidden', message: 'Forbidden' } });
    expect(noToken.status).toBe(401);
    expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect(badToken.status).toBe(401);
    expect(unknown.status).toBe(404);
  });

  it('refuses a body over the gateway limit with 413 before any handler runs, and over the API limit from the handler', async () => {
    const huge = { tables: ['users'], format: 'csv', padding: 'x'.repeat(GATEWAY_MAX_BODY_BYTES) };
    const large = { tables: ['users'], format: 'csv', padding: 'x'.repeat(20 * 1024) };

    // No bearer token: the gateway answers before the authorizer would refuse it.
    const atGateway = await call('POST', '/bulk', undefined, { body: huge });
    const atHandler = await call('POST', '/bulk', adminToken, { body: large });

    expect(atGateway.status).toBe(413);
    expect(await atGateway.json()).toEqual({
      error: { code: 'payload_too_large', message: 'Request Too Large' },
    });
    expect(atHandler.status).toBe(413);
    expect(((await atHandler.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
  });

  it('prints curl commands in its banner that work when pasted', async () => {
    const commands = runtime!
      .output()
      .split('\n')
      .filter((line) => /^ {2}(curl|JOB=\$\(curl) /.test(line))
      .map((line) => line.trim());
    expect(commands).toHaveLength(3);

    const { stdout } = await promisify(execFile)('bash', ['-ec', commands.join('\n')], { timeout: 30_000 });

    expect(stdout).toContain(`"id":"${DEMO_USER_ID}"`);
    expect(stdout).toMatch(/job [0-9a-f-]{36}/);
    expect(stdout).toMatch(/"kind":"bulk","status":"(queued|processing|completed)"/);
  });

  it('stops cleanly on Ctrl-C, leaving no Postgres behind, and restarts warm with its data and tokens', async () => {
    const before = await call('POST', '/bulk', adminToken, {
      body: { tables: ['courses'], format: 'ndjson' },
    });
    const { jobId } = (await before.json()) as { jobId: string };
    await waitForJob(jobId, adminToken);
    await sql.end({ timeout: 5 });

    const exit = await runtime!.stop();

    expect(exit.code === 0 || exit.code === 130 || exit.signal === 'SIGINT').toBe(true);
    await expect.poll(() => processesMentioning(path.join(dataDir, 'pg')), { timeout: 10_000 }).toEqual([]);
    expect(readdirSync(dataDir)).not.toContain('runtime.json');

    await start('warm (existing data directory)');
    sql = postgres(runtime!.info.databaseUrl, { max: 2, onnotice: () => {} });
    const after = await call('GET', `/jobs/${jobId}`, adminToken);
    expect(after.status).toBe(200);
    expect(((await after.json()) as JobView).status).toBe('completed');
    // The S3 emulator keeps objects in memory: the file is gone, which the API reports as expired.
    const gone = await call('GET', `/jobs/${jobId}/download`, adminToken);
    expect(gone.status).toBe(404);
  });

  it("throttles an API key past its usage plan's burst with 429", async () => {
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async () => (await call('GET', '/openapi.json', undefined)).status),
    );

    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    // The bucket refills at the plan's rate.
    await expect.poll(async () => (await call('GET', '/openapi.json', undefined)).status, POLL).toBe(200);
  });
});
