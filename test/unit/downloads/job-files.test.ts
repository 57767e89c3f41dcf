import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { createLinkToken } from '../../../functions/domain/access/link-token.js';
import {
  downloadTarget,
  FILE_NAME_PATTERN,
  jobFiles,
} from '../../../functions/domain/downloads/job-files.js';
import { attachmentDisposition } from '../../../functions/domain/engine/content-disposition.js';
import { NotFoundError } from '../../../functions/domain/errors.js';
import type { ExportJob } from '../../../functions/domain/jobs/export-job.js';
import { createHandler as downloadJob } from '../../../functions/handlers/download-job.js';
import { createHandler as getJob } from '../../../functions/handlers/get-job.js';
import { createHandler as listJobFiles } from '../../../functions/handlers/list-job-files.js';
import {
  apiEvent,
  authorizerContext,
  bearerToken,
  bodyOf,
  headerOf,
  invoke,
  TEST_LINK_SECRET,
} from '../../support/api-events.js';
import { type FakeApiDeps, fakeApiDeps } from '../../support/api-fakes.js';
import { chunkedJobFixture } from '../../support/chunked-job.js';

const USER = randomUUID();
const OTHER = randomUUID();
const API = 'https://api.example.com/prod/api/export';
const PARTS = [
  { name: 'users/part-00001.csv', table: 'users', body: 'id\n1\n2\n', keyRange: { from: null, to: '2' } },
  { name: 'users/part-00002.csv', table: 'users', body: 'id\n3\n', keyRange: { from: '2', to: null } },
  { name: 'courses/part-00001.csv', table: 'courses', body: 'id\n7\n' },
];
const SINGLE = {
  objectKey: 'exports/j/users_2024-05-01.csv',
  fileName: 'users_2024-05-01.csv',
  contentType: 'text/csv; charset=utf-8',
  bytes: 7,
  sha256: 'f'.repeat(64),
  rows: 2,
  tables: [{ name: 'users', rows: 2 }],
  exportedAt: '2024-05-01T10:00:00.000Z',
};

let deps: FakeApiDeps;
const provide = () => Promise.resolve(deps);

beforeEach(() => {
  deps = fakeApiDeps();
});

/** A completed chunked job of USER whose parts and manifest are in the store. */
function chunkedJob(): { job: ExportJob; manifest: Buffer } {
  const id = randomUUID();
  const fixture = chunkedJobFixture(id, PARTS);
  for (const [key, body] of fixture.objects) deps.store.objects.set(key, body);
  const job = deps.jobs.put({ id, requestedBy: USER, status: 'completed', result: fixture.result });
  return { job, manifest: fixture.manifest };
}

async function download(jobId: string, query: Record<string, string> = {}, headers = {}) {
  const token = await bearerToken(USER);
  return invoke(
    downloadJob(provide),
    apiEvent({
      pathParameters: { jobId },
      query,
      headers: { Authorization: `Bearer ${token}`, ...headers },
    }),
  );
}

describe('the files of a job', () => {
  it("are a chunked job's parts in manifest order, or the one object of a job that wrote one", () => {
    const chunked = chunkedJobFixture('j', PARTS).result;

    expect(jobFiles(chunked).map((f) => [f.name, f.table, f.downloadName])).toEqual([
      ['users/part-00001.csv', 'users', 'users_part-00001.csv'],
      ['users/part-00002.csv', 'users', 'users_part-00002.csv'],
      ['courses/part-00001.csv', 'courses', 'courses_part-00001.csv'],
    ]);
    expect(jobFiles(SINGLE)).toEqual([
      expect.objectContaining({
        name: 'users_2024-05-01.csv',
        key: SINGLE.objectKey,
        table: 'users',
        rows: 2,
      }),
    ]);
    expect(jobFiles({ ...SINGLE, tables: [...SINGLE.tables, { name: 'courses', rows: 1 }] })[0]!.table).toBe(
      null,
    );
  });

  it('serve the manifest of a chunked job without a file name, and the only object of another', () => {
    const chunked = chunkedJobFixture('j', PARTS).result;

    expect(downloadTarget(chunked).key).toBe('exports/j/manifest.json');
    expect(downloadTarget(chunked, 'manifest.json').key).toBe('exports/j/manifest.json');
    expect(downloadTarget(chunked, 'users/part-00002.csv').key).toBe('exports/j/users/part-00002.csv');
    expect(downloadTarget(SINGLE).key).toBe(SINGLE.objectKey);
    expect(downloadTarget(SINGLE, 'users_2024-05-01.csv').key).toBe(SINGLE.objectKey);
  });

  it.each([
    ['a name no file has', 'users/part-00009.csv'],
    ['the manifest of a job of one object', 'manifest.json'],
  ])('refuse %s with a 404 naming `file`', (_, name) => {
    const result = name === 'manifest.json' ? SINGLE : chunkedJobFixture('j', PARTS).result;

    const refusal = (() => {
      try {
        downloadTarget(result, name);
      } catch (error) {
        return error;
      }
    })();

    expect(refusal).toBeInstanceOf(NotFoundError);
    expect((refusal as NotFoundError).details).toEqual([{ field: 'file', message: expect.any(String) }]);
  });

  it.each([
    ['users/part-00001.csv.gz', true],
    ['daily_transactions_2024-05-01.csv', true],
    ['manifest.json', true],
    ['../other-job/users.csv', false],
    ['users/../../x', false],
    ['/etc/passwd', false],
    ['.hidden', false],
    ['users//part.csv', false],
    ['users/part 1.csv', false],
    ['', false],
  ])('take %j as a file name: %s', (name, valid) => {
    expect(FILE_NAME_PATTERN.test(name)).toBe(valid);
  });
});

describe('GET /jobs/{jobId}/files', () => {
  it('lists the parts with download links on the API and the manifest link, to the owner', async () => {
    const { job } = chunkedJob();

    const response = await invoke(
      listJobFiles(provide),
      apiEvent({ authorizer: authorizerContext(USER), pathParameters: { jobId: job.id } }),
    );

    expect(response.statusCode).toBe(200);
    const body = bodyOf<{ files: Record<string, unknown>[]; manifestUrl: string; totals: unknown }>(response);
    expect(body.files).toEqual([
      {
        name: 'users/part-00001.csv',
        table: 'users',
        rows: 2,
        bytes: 7,
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        contentType: 'text/csv; charset=utf-8',
        downloadUrl: `${API}/jobs/${job.id}/download?file=users%2Fpart-00001.csv`,
      },
      expect.objectContaining({ name: 'users/part-00002.csv', rows: 1 }),
      expect.objectContaining({ name: 'courses/part-00001.csv', table: 'courses', rows: 1 }),
    ]);
    expect(body.manifestUrl).toBe(`${API}/jobs/${job.id}/download?file=manifest.json`);
    expect(body.totals).toEqual({ files: 3, rows: 4, bytes: 17 });
  });

  it('lists the one file of a job of one object, with no manifest', async () => {
    const job = deps.jobs.put({ requestedBy: USER, status: 'completed', result: SINGLE });

    const response = await invoke(
      listJobFiles(provide),
      apiEvent({ authorizer: authorizerContext(USER), pathParameters: { jobId: job.id } }),
    );

    expect(bodyOf(response)).toEqual({
      jobId: job.id,
      files: [
        {
          name: 'users_2024-05-01.csv',
          table: 'users',
          rows: 2,
          bytes: 7,
          sha256: SINGLE.sha256,
          contentType: SINGLE.contentType,
          downloadUrl: `${API}/jobs/${job.id}/download?file=users_2024-05-01.csv`,
        },
      ],
      manifestUrl: null,
      totals: { files: 1, rows: 2, bytes: 7 },
    });
  });

  it("answers 409 for a job still running, 403 (audited) for another user's, 400 for a bad id", async () => {
    const running = deps.jobs.put({ requestedBy: USER, status: 'processing' });
    const { job } = chunkedJob();
    const list = (jobId: string, who = USER) =>
      invoke(
        listJobFiles(provide),
        apiEvent({ authorizer: authorizerContext(who), pathParameters: { jobId } }),
      );

    const early = await list(running.id);
    const other = await list(job.id, OTHER);
    const bad = await list('not-a-uuid');

    expect(early.statusCode).toBe(409);
    expect(bodyOf(early)).toMatchObject({ error: { code: 'conflict', details: { status: 'processing' } } });
    expect(other.statusCode).toBe(403);
    expect(deps.audit.entries).toEqual([expect.objectContaining({ action: 'denied', userId: OTHER })]);
    expect(bad.statusCode).toBe(400);
    expect(bodyOf(bad)).toMatchObject({ error: { details: [{ field: 'jobId' }] } });
  });
});

describe('GET /jobs/{jobId}/download?file=', () => {
  it('redirects to the named part, saved under a name without folders, and audits which file', async () => {
    const { job } = chunkedJob();

    const response = await download(job.id, { file: 'users/part-00002.csv' });

    expect(response.statusCode).toBe(302);
    expect(deps.store.download(headerOf(response, 'location')!)).toEqual({
      status: 200,
      body: Buffer.from('id\n3\n'),
      contentDisposition: attachmentDisposition('users_part-00002.csv'),
    });
    expect(deps.audit.entries).toEqual([
      expect.objectContaining({
        action: 'download',
        status: 'ok',
        details: expect.objectContaining({ file: 'users/part-00002.csv', bytes: 5 }),
      }),
    ]);
  });

  it('serves the manifest without `file`, and as `file=manifest.json`, as JSON when asked', async () => {
    const { job, manifest } = chunkedJob();

    const plain = await download(job.id);
    const named = await download(job.id, { file: 'manifest.json' }, { Accept: 'application/json' });

    expect(deps.store.download(headerOf(plain, 'location')!)).toMatchObject({ status: 200, body: manifest });
    expect(named.statusCode).toBe(200);
    const { url, expiresAt } = bodyOf<{ url: string; expiresAt: string }>(named);
    expect(deps.store.download(url)).toMatchObject({ body: manifest });
    expect(Date.parse(expiresAt)).toBeGreaterThan(0);
  });

  it('answers 404 naming `file` for a name the job has no file of, and audits the refusal', async () => {
    const { job } = chunkedJob();

    const response = await download(job.id, { file: 'users/part-00003.csv' });

    expect(response.statusCode).toBe(404);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'not_found', details: [{ field: 'file' }] } });
    expect(deps.audit.entries).toEqual([
      expect.objectContaining({
        action: 'download',
        status: 'refused',
        details: expect.objectContaining({ file: 'users/part-00003.csv', reason: 'not_found' }),
      }),
    ]);
  });

  it.each([['../../other/users.csv'], ['x'.repeat(300)], ['.manifest.json']])(
    'answers 400 naming `file` for %j',
    async (file) => {
      const { job } = chunkedJob();

      const response = await download(job.id, { file });

      expect(response.statusCode).toBe(400);
      expect(bodyOf(response)).toMatchObject({ error: { details: [{ field: 'file' }] } });
    },
  );

  it('refuses a part whose object was replaced since the job recorded it (409), and a deleted one (404)', async () => {
    const { job } = chunkedJob();
    deps.store.objects.set(`exports/${job.id}/users/part-00001.csv`, Buffer.from('id\n666\n'));
    deps.store.objects.delete(`exports/${job.id}/courses/part-00001.csv`);

    const replaced = await download(job.id, { file: 'users/part-00001.csv' });
    const deleted = await download(job.id, { file: 'courses/part-00001.csv' });
    const intact = await download(job.id, { file: 'users/part-00002.csv' });

    expect([replaced.statusCode, deleted.statusCode, intact.statusCode]).toEqual([409, 404, 302]);
  });

  it("serves any file of the job to the holder of the job's link token", async () => {
    const { job } = chunkedJob();
    const token = await createLinkToken(TEST_LINK_SECRET, { jobId: job.id, userId: USER }, 3600);

    const response = await invoke(
      downloadJob(provide),
      apiEvent({ pathParameters: { jobId: job.id }, query: { token, file: 'courses/part-00001.csv' } }),
    );

    expect(deps.store.download(headerOf(response, 'location')!)).toMatchObject({
      body: Buffer.from('id\n7\n'),
    });
  });
});

describe('GET /jobs/{jobId} of a chunked job', () => {
  it('shows chunks done and planned in its progress', async () => {
    const job = deps.jobs.put({
      requestedBy: USER,
      status: 'processing',
      progress: {
        rowsExported: 10,
        bytesWritten: 100,
        tablesDone: 0,
        tablesTotal: 1,
        percent: 40,
        chunksDone: 2,
        chunksTotal: 5,
      },
    });

    const response = await invoke(
      getJob(provide),
      apiEvent({ authorizer: authorizerContext(USER), pathParameters: { jobId: job.id } }),
    );

    expect(bodyOf(response)).toMatchObject({ progress: { percent: 40, chunksDone: 2, chunksTotal: 5 } });
  });
});
