import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres, { type Sql } from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAccessToken } from '../../functions/domain/access/auth.js';
import { DEMO_ADMIN_EMAIL, DEMO_ADMIN_ID } from '../../local/demo-data.js';
import { freePort } from '../../local/embedded-postgres.js';
import { loadLocalSecrets } from '../../local/local-secrets.js';
import { bulkSpec } from '../support/job-specs.js';
import { killRuntime, type RuntimeProcess, startRuntime } from './support/runtime-process.js';

/**
 * A job whose message was lost (the process died between the insert and the enqueue) is picked up
 * by the runtime's stale-job sweeper and completed by the worker, with no client action.
 */

let dataDir: string;
let runtime: RuntimeProcess | undefined;
let sql: Sql;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'export-e2e-sweep-'));
  chmodSync(dataDir, 0o755);
  runtime = await startRuntime({
    dataDir,
    port: await freePort(),
    env: { SWEEP_INTERVAL_SECONDS: '1', SWEEP_GRACE_SECONDS: '1', SCHEDULER: 'off' },
  });
  sql = postgres(runtime.info.databaseUrl, { max: 1, onnotice: () => {} });
});

afterAll(async () => {
  await sql?.end();
  await runtime?.stop().catch(() => killRuntime(runtime));
  rmSync(dataDir, { recursive: true, force: true });
});

it('re-enqueues a queued job that never reached the queue, and the worker completes it', async () => {
  const [job] = await sql<{ id: string }[]>`
    INSERT INTO export_jobs (kind, spec, tables, format, compression, requested_by, requester_email,
                             created_at, updated_at)
    VALUES ('bulk', ${sql.json(bulkSpec({ tables: ['courses'] }) as never)}, '["courses"]', 'csv', 'none', ${DEMO_ADMIN_ID},
            ${DEMO_ADMIN_EMAIL}, now() - interval '1 hour', now() - interval '1 hour')
    RETURNING id`;
  const { jwtSecret } = await loadLocalSecrets(dataDir);
  const token = await createAccessToken(jwtSecret, {
    sub: DEMO_ADMIN_ID,
    email: DEMO_ADMIN_EMAIL,
    roles: ['admin'],
  });
  const status = async () => {
    const response = await fetch(`${runtime!.info.apiUrl}/api/export/jobs/${job!.id}`, {
      headers: { 'x-api-key': runtime!.info.apiKey, Authorization: `Bearer ${token}` },
    });
    return ((await response.json()) as { status: string }).status;
  };

  await expect.poll(status, { timeout: 60_000, interval: 250 }).toBe('completed');

  const [row] = await sql<{ attempts: number; rows: string }[]>`
    SELECT attempts, (result->>'rows') AS rows FROM export_jobs WHERE id = ${job!.id}`;
  const [{ n }] = (await sql`SELECT count(*)::int AS n FROM courses`) as unknown as [{ n: number }];
  expect(row).toEqual({ attempts: 1, rows: String(n) });
});
