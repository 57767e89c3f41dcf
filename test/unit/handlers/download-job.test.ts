import { createHash, randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { UNAUTHENTICATED_METRIC } from '../../../functions/api/http.js';
import { createLinkToken } from '../../../functions/domain/access/link-token.js';
import { attachmentDisposition } from '../../../functions/domain/engine/content-disposition.js';
import { createHandler as downloadJob } from '../../../functions/handlers/download-job.js';
import { metrics } from '../../../functions/platform/powertools.js';
import {
  apiEvent,
  bearerToken,
  bodyOf,
  headerOf,
  invoke,
  TEST_LINK_SECRET,
} from '../../support/api-events.js';
import { type FakeApiDeps, fakeApiDeps } from '../../support/api-fakes.js';

const USER = randomUUID();
const OTHER = randomUUID();

let deps: FakeApiDeps;
const provide = () => Promise.resolve(deps);

beforeEach(() => {
  deps = fakeApiDeps();
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
