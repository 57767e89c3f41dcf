import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import postgres, { type Sql } from 'postgres';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3/client.js';
import { DEMO_ADMIN_ID, DEMO_USER_ID } from '../../local/demo-data.js';
import { freePort } from '../../local/embedded-postgres.js';
import { insertChunkedJob, type PartSpec } from '../support/chunked-job.js';
import { copyToBuffer } from '../support/services.js';
import { unzip } from '../support/zip.js';
import { chromiumMissing, launchChromium, newContext } from './support/browser.js';
import { killRuntime, type RuntimeProcess, startRuntime } from './support/runtime-process.js';

/**
 * The web console in a real browser (Debian's Chromium driven by playwright-core) against the
 * local runtime started as `npm start` is, signing in with the links its banner prints. The
 * database is touched directly only to hold a running export on a lock and as an oracle.
 * `CONSOLE_SCREENSHOTS_DIR=docs/screenshots` (npm run console:screenshots) saves each main page.
 */

const missing = chromiumMissing();
if (missing) console.warn(`skipping the console browser tests: ${missing}`);

const POLL = { timeout: 90_000, interval: 250 } as const;
const USER_COLUMNS = 'id, email, full_name, roles, locale, marketing_opt_in, created_at, updated_at';
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS_DIR;
/** A completed chunked export as the chunk engine leaves it (stored directly: the engine is not needed here). */
const CHUNKED_PARTS: PartSpec[] = [
  { name: 'transactions/part-00001.csv', table: 'transactions', body: 'id,amount\n1,9.50\n2,12.00\n' },
  { name: 'transactions/part-00002.csv', table: 'transactions', body: 'id,amount\n3,0.01\n4,7.25\n' },
  { name: 'users/part-00001.csv', table: 'users', body: 'id,email\nu1,a@example.com\n' },
];

let dataDir: string;
let runtime: RuntimeProcess | undefined;
let browser: Browser | undefined;
let sql: Sql;
let links: { admin: string; user: string };
let adminJobId: string;

/** The sign-in link the banner prints for `who`. */
function bannerLink(output: string, who: 'admin' | 'user'): string {
  const match = new RegExp(`as ${who}\\s+(http://\\S+/console/#token=\\S+)`).exec(output);
  if (!match?.[1]) throw new Error(`the banner printed no console link for the ${who}:\n${output}`);
  return match[1];
}

async function signedIn(who: 'admin' | 'user', viewport: 'desktop' | 'phone' = 'desktop') {
  const context = await newContext(browser!, viewport);
  const page = await context.newPage();
  await page.goto(links[who]);
  return { context, page };
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Let the polls settle so the picture shows the current state, not a loading line.
  await expect.poll(() => page.locator('[aria-busy="true"]').count(), POLL).toBe(0);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The same page at phone width, signed in as `who`. */
async function phoneScreenshot(who: 'admin' | 'user', href: string, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  const { context, page } = await signedIn(who, 'phone');
  await page.goto(new URL(href, links[who]).href);
  await screenshot(page, name);
  await context.close();
}

/** The file a click on `button` makes the browser save. */
async function saveDownload(page: Page, button: Locator): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  return readFileSync(await download.path());
}

/** The file the page's download button saves. */
function downloadFrom(page: Page, jobId: string): Promise<Buffer> {
  return saveDownload(page, page.getByRole('button', { name: `Download export ${jobId}` }));
}

/** Queries waiting for a lock on `activity_logs`: an export's read, blocked by the test's lock. */
async function waitingForLock(): Promise<number> {
  const [row] = await sql`
    SELECT count(*)::int AS n FROM pg_locks
    WHERE relation = 'activity_logs'::regclass AND NOT granted`;
  return row?.n ?? 0;
}

/** The job id of the job page the browser shows. */
function jobIdOf(page: Page): string {
  const id = /\/console\/jobs\/([0-9a-f-]{36})$/.exec(new URL(page.url()).pathname)?.[1];
  if (!id) throw new Error(`not on a job page: ${page.url()}`);
  return id;
}

describe.skipIf(missing !== undefined)('web console in Chromium', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'console-e2e-'));
    runtime = await startRuntime({ dataDir, port: await freePort(), env: { SCHEDULER: 'off' } });
    const output = runtime.output();
    links = { admin: bannerLink(output, 'admin'), user: bannerLink(output, 'user') };
    sql = postgres(runtime.info.databaseUrl, { max: 2, onnotice: () => {} });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await sql?.end();
    if (runtime) {
      const exit = await runtime.stop().catch(() => undefined);
      if (!exit) killRuntime(runtime);
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('asks for a token without a sign-in link, and signs in from the banner link', async () => {
    const anonymous = await newContext(browser!, 'desktop');
    const signInPage = await anonymous.newPage();
    await signInPage.goto(new URL('/console/', links.admin).href);
    await expect.poll(() => signInPage.getByLabel('Bearer token').isVisible(), POLL).toBe(true);
    await screenshot(signInPage, 'sign-in-desktop');
    await anonymous.close();

    const { context, page } = await signedIn('admin');

    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL).toBe('Export jobs');
    expect(new URL(page.url()).hash).toBe('');
    expect(await page.evaluate('Object.keys(sessionStorage).length')).toBe(1);
    await expect
      .poll(() => page.getByTestId('quota').textContent(), POLL)
      .toMatch(/of 5 export requests left/);
    await context.close();
  });

  it('lets an admin start a bulk export, watch its bar reach 100 % and download it', async () => {
    const { context, page } = await signedIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'New export' }).click();
    await page.getByRole('checkbox', { name: /^users\b/ }).check();
    await page.getByRole('radio', { name: 'csv' }).check();
    await page.evaluate('window.loadedOnce = true');

    await page.getByRole('button', { name: 'Start export' }).click();

    await expect.poll(() => new URL(page.url()).pathname, POLL).toMatch(/^\/console\/jobs\/[0-9a-f-]{36}$/);
    adminJobId = jobIdOf(page);
    const bar = page.getByRole('progressbar', { name: `Progress of export ${adminJobId}` });
    await expect.poll(() => bar.getAttribute('value'), POLL).toBe('100');
    await expect.poll(() => page.getByTestId('percent').textContent(), POLL).toBe('100 %');
    await expect.poll(() => page.locator('.job-head .status').textContent(), POLL).toBe('Completed');
    // The bar moved by polling, not by reloading the page.
    expect(await page.evaluate('window.loadedOnce')).toBe(true);

    const file = await downloadFrom(page, adminJobId);

    expect(
      file.equals(
        await copyToBuffer(
          sql,
          `COPY (SELECT ${USER_COLUMNS} FROM users ORDER BY id) TO STDOUT WITH CSV HEADER`,
        ),
      ),
    ).toBe(true);
    await screenshot(page, 'job-desktop');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Jobs' }).click();
    await expect
      .poll(() => page.locator(`tr[data-job-id="${adminJobId}"] .status`).textContent(), POLL)
      .toBe('Completed');
    await context.close();
  });

  it('lists the files of a chunked export with chunks, a download per file and the manifest', async () => {
    const s3 = createS3Client({ endpoint: runtime!.info.s3Endpoint });
    const { jobId, objects, manifest } = await insertChunkedJob(
      { sql, s3, bucket: runtime!.info.bucket },
      DEMO_ADMIN_ID,
      CHUNKED_PARTS,
    );
    s3.destroy();
    const { context, page } = await signedIn('admin');

    await page.goto(new URL(`/console/jobs/${jobId}`, links.admin).href);

    const rows = page.locator('table.files tbody tr');
    await expect.poll(() => rows.count(), POLL).toBe(3);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-file')))).toEqual(
      CHUNKED_PARTS.map((part) => part.name),
    );
    expect(await page.getByTestId('files-summary').textContent()).toMatch(/^3 files, .*, 5 rows;/);
    expect(await page.locator('.progress-figures').textContent()).toContain('3/3 chunks');
    const part = await saveDownload(
      page,
      page.getByRole('button', { name: 'Download file transactions/part-00002.csv' }),
    );
    expect(part.equals(objects.get(`exports/${jobId}/transactions/part-00002.csv`)!)).toBe(true);
    // The job's own download button serves the manifest of a job split into files.
    const download = page.getByRole('button', { name: `Download export ${jobId}` });
    expect(await download.textContent()).toBe('Download manifest');
    expect((await saveDownload(page, download)).equals(manifest)).toBe(true);
    await screenshot(page, 'job-chunked-desktop');
    await phoneScreenshot('admin', `/console/jobs/${jobId}`, 'job-chunked-phone');
    await context.close();
  });

  it("shows the API's error for a bad date next to its field, and starts nothing", async () => {
    const { context, page } = await signedIn('admin');
    await page.goto(new URL('/console/new', links.admin).href);
    await page.getByRole('checkbox', { name: /^users\b/ }).check();
    const jobsBefore = await sql`SELECT count(*)::int AS n FROM export_jobs`;

    await page.getByLabel('users from').fill('2024-02-30');
    await page.getByRole('button', { name: 'Start export' }).click();

    const input = page.getByLabel('users from');
    const error = page.locator('#field-filters-users-dateFrom-error');
    await expect.poll(() => error.textContent(), POLL).toMatch(/ISO 8601 date/);
    expect(await input.getAttribute('aria-invalid')).toBe('true');
    expect(await input.getAttribute('aria-describedby')).toContain('field-filters-users-dateFrom-error');
    // Next to its field: the message is the sibling right after the input.
    expect(await input.evaluate((element) => element.nextElementSibling?.id ?? null)).toBe(
      'field-filters-users-dateFrom-error',
    );
    expect(await page.getByRole('alert').first().textContent()).toContain('filters.users.dateFrom');
    expect((await sql`SELECT count(*)::int AS n FROM export_jobs`)[0]!.n).toBe(jobsBefore[0]!.n);
    await screenshot(page, 'new-export-desktop');
    await phoneScreenshot('admin', '/console/new', 'new-export-phone');
    await context.close();
  });

  it('cancels a running export after asking for confirmation', async () => {
    // The export really runs: a worker claims it and its query reaches Postgres, where it waits for
    // a lock this test holds on the table (as behind a long migration). However fast the machine,
    // it is still running when the cancel arrives; the lock is let go once the cancel is recorded.
    const lock = await sql.reserve();
    try {
      await lock`BEGIN`;
      await lock`LOCK TABLE activity_logs IN ACCESS EXCLUSIVE MODE`;
      const { context, page } = await signedIn('admin');
      await page.goto(new URL('/console/new', links.admin).href);
      await page.getByRole('checkbox', { name: /^activity_logs\b/ }).check();
      await page.getByRole('radio', { name: 'xml' }).check();
      await page.getByRole('button', { name: 'Start export' }).click();
      await expect.poll(() => new URL(page.url()).pathname, POLL).toMatch(/^\/console\/jobs\/[0-9a-f-]{36}$/);
      const jobId = jobIdOf(page);
      await expect.poll(() => page.locator('.job-head .status').textContent(), POLL).toBe('Running');
      await expect.poll(async () => (await waitingForLock()) > 0, POLL).toBe(true);

      await page.getByRole('button', { name: `Cancel export ${jobId}` }).click();
      const dialog = page.getByRole('dialog', { name: 'Cancel this export?' });
      await expect.poll(() => dialog.isVisible(), POLL).toBe(true);
      await dialog.getByRole('button', { name: 'Cancel export' }).click();

      await expect.poll(() => page.locator('.job-head .status').textContent(), POLL).toBe('Stopping');
      // The API recorded the request (the badge says so); the worker learns of it at its next
      // heartbeat, which writes progress after the request. Only then is the table let go.
      // (Compared as text in SQL: a Date, even one postgres.js makes of a timestamptz parameter,
      // would drop the microseconds.)
      const [requested] = await sql`
        SELECT updated_at::text AS at FROM export_jobs WHERE id = ${jobId} AND cancel_requested`;
      expect(requested).toBeDefined();
      await expect
        .poll(async () => {
          const [row] = await sql`
            SELECT updated_at > ${requested!.at}::text::timestamptz AS beat FROM export_jobs WHERE id = ${jobId}`;
          return row?.beat;
        }, POLL)
        .toBe(true);
      await lock`COMMIT`;
      await expect.poll(() => page.locator('.job-head .status').textContent(), POLL).toBe('Cancelled');
      const [job] = await sql`SELECT status, started_at, result FROM export_jobs WHERE id = ${jobId}`;
      expect(job).toMatchObject({ status: 'cancelled', result: null });
      expect(job?.started_at).not.toBeNull();
      const audit = await sql`SELECT action FROM export_audit_log WHERE job_id = ${jobId} ORDER BY id`;
      expect(audit.map((row) => row.action)).toEqual(expect.arrayContaining(['started', 'cancelled']));
      expect(await page.getByRole('button', { name: `Download export ${jobId}` }).count()).toBe(0);
      await context.close();
    } finally {
      await lock`ROLLBACK`.catch(() => undefined);
      lock.release();
    }
  });

  it('runs a scheduled export for a chosen date', async () => {
    const { context, page } = await signedIn('admin');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
    const card = page.locator('article[data-schedule="daily_transactions"]');
    await expect.poll(() => card.getByRole('listitem').count(), POLL).toBe(3);

    await card.getByLabel('Run date (UTC)').fill('2021-03-04');
    await card.getByRole('button', { name: 'Run for this date' }).click();

    const queued = card.getByText(/Queued the run for 2021-03-04/);
    await expect.poll(() => queued.isVisible(), POLL).toBe(true);
    await screenshot(page, 'schedules-desktop');
    await queued.getByRole('link').click();
    await expect.poll(() => page.locator('.job-head .status').textContent(), POLL).toBe('Completed');
    expect(await page.locator('.facts').first().textContent()).toContain('daily_transactions for 2021-03-04');
    await phoneScreenshot('admin', '/console/schedules', 'schedules-phone');
    await context.close();
  });

  it('registers a webhook showing its secret once, sends a signed test event, shows the delivery and deletes it', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/exports`;
    const { context, page } = await signedIn('admin');
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
      await expect.poll(() => page.getByText('No webhooks yet.').isVisible(), POLL).toBe(true);

      await page.getByLabel('Endpoint URL').fill('http://10.0.0.1/hook');
      await page.getByRole('button', { name: 'Register' }).click();
      const urlError = page.locator('#field-url-error');
      await expect.poll(() => urlError.textContent(), POLL).toMatch(/private, link-local/);
      expect(await page.getByLabel('Endpoint URL').getAttribute('aria-invalid')).toBe('true');

      await page.getByLabel('Endpoint URL').fill(url);
      await page.getByLabel('Description (optional)').fill('Billing warehouse');
      await page.getByRole('button', { name: 'Register' }).click();
      const secretField = page.getByLabel('Signing secret');
      await expect.poll(() => secretField.inputValue(), POLL).toMatch(/^whsec_/);
      const secret = await secretField.inputValue();
      const card = page.locator(`article[data-webhook="${url}"]`);
      await card.getByRole('button', { name: 'Send test event' }).click();
      const row = card.locator('tr[data-delivery="webhook.test"]');
      await expect.poll(() => row.locator('.status').textContent(), POLL).toBe('delivered');
      expect(await row.locator('td').nth(3).textContent()).toBe('204');
      await screenshot(page, 'webhooks-desktop');
      await phoneScreenshot('admin', '/console/webhooks', 'webhooks-phone');

      expect(received).toHaveLength(1);
      expect(
        new Webhook(secret).verify(received[0]!.body, received[0]!.headers as Record<string, string>),
      ).toMatchObject({
        type: 'webhook.test',
      });
      await page.getByRole('button', { name: 'I have stored it' }).click();
      await page.reload();
      await expect.poll(() => card.isVisible(), POLL).toBe(true);
      expect(await page.content()).not.toContain(secret);

      await card.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
      await expect.poll(() => page.getByText('No webhooks yet.').isVisible(), POLL).toBe(true);
    } finally {
      await context.close();
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('charts the metrics of the jobs so far', async () => {
    const { context, page } = await signedIn('admin');
    await page.goto(new URL('/console/metrics', links.admin).href);

    const tiles = page.locator('.tile');
    await expect
      .poll(() => tiles.filter({ hasText: 'Exports' }).locator('dd').textContent(), POLL)
      .not.toBe('0');
    expect(await page.locator('canvas[role="img"]').count()).toBe(3);
    await page.getByText('Show the numbers').first().click();
    const statusTable = page.getByRole('table', { name: 'Exports by status' });
    expect(await statusTable.locator('tbody tr').count()).toBe(6);
    await screenshot(page, 'metrics-desktop');
    await phoneScreenshot('admin', '/console/metrics', 'metrics-phone');
    await context.close();
  });

  it("lets a user download their own data, but not see another user's job", async () => {
    const { context, page } = await signedIn('user');
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent(), POLL)
      .toBe('Download your data');
    expect(await page.getByRole('link', { name: 'New export' }).count()).toBe(0);

    await page.getByRole('radio', { name: /^csv\b/ }).check();
    await page.getByRole('button', { name: 'Request my data' }).click();
    const notice = page.getByText(/Your export is being prepared/);
    await expect.poll(() => notice.isVisible(), POLL).toBe(true);
    const jobId = /\/console\/jobs\/([0-9a-f-]{36})$/.exec(
      (await notice.getByRole('link').getAttribute('href')) ?? '',
    )?.[1];
    expect(jobId).toBeDefined();
    const download = page.getByRole('button', { name: `Download export ${jobId}` });
    await expect.poll(() => download.isVisible(), POLL).toBe(true);
    const file = await downloadFrom(page, jobId!);

    const entries = await unzip(file);
    expect([...entries.keys()].sort()).toEqual([
      'activity.csv',
      'courses.csv',
      'profile.csv',
      'transactions.csv',
    ]);
    expect(entries.get('profile.csv')?.toString('utf8')).toContain(DEMO_USER_ID);
    expect(await page.locator(`tr[data-job-id="${adminJobId}"]`).count()).toBe(0);
    await screenshot(page, 'my-data-desktop');
    await phoneScreenshot('user', '/console/my-data', 'my-data-phone');

    await page.goto(new URL(`/console/jobs/${adminJobId}`, links.user).href);

    await expect.poll(() => page.getByRole('alert').textContent(), POLL).toMatch(/^Not allowed\./);
    expect(await page.getByRole('progressbar').count()).toBe(0);
    await context.close();
  });

  it('shows how long to wait when the export window is used up', async () => {
    const { context, page } = await signedIn('user');
    await page.goto(new URL('/console/my-data', links.user).href);
    const button = page.getByRole('button', { name: 'Request my data' });
    const refusal = page.getByRole('alert').filter({ hasText: 'Export limit reached' });

    // The window allows 5 requests per 15 minutes; the previous test used one.
    for (let attempt = 0; attempt < 6 && !(await refusal.isVisible()); attempt += 1) {
      await button.click();
      await expect.poll(() => button.isEnabled(), POLL).toBe(true);
    }

    await expect.poll(() => refusal.textContent(), POLL).toMatch(/You can try again in \d+ min/);
    await expect
      .poll(() => page.getByTestId('quota').textContent(), POLL)
      .toMatch(/^0 of 5 export requests left · next at/);
    await context.close();
  });

  it('lists every kind of job for the admin, with a kind filter', async () => {
    const { context, page } = await signedIn('admin');
    const rows = page.locator('tr[data-job-id]');
    const statuses = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')));

    // 3 bulk (one chunked, stored by the test), 1 scheduled and 5 user exports so far; the user's
    // last ones may still be finishing.
    await expect.poll(() => rows.count(), POLL).toBe(9);
    await expect
      .poll(async () => [...new Set(await statuses())].sort(), POLL)
      .toEqual(['cancelled', 'completed']);
    await page.getByLabel('Kind').selectOption('scheduled');
    await expect.poll(() => rows.count(), POLL).toBe(1);
    await page.getByLabel('Kind').selectOption('');
    await expect.poll(() => rows.count(), POLL).toBe(9);
    await screenshot(page, 'jobs-desktop');
    await phoneScreenshot('admin', '/console/jobs', 'jobs-phone');
    await context.close();
  });
});
