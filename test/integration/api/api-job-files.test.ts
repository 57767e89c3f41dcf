import { createHash, randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { inject } from 'vitest';
import { DownloadLink, JobFilesResponse, JobViewSchema } from '../../../functions/api/api-schemas.js';
import { createLinkToken } from '../../../functions/domain/access/link-token.js';
import { bearerToken, bodyOf, headerOf, TEST_LINK_SECRET } from '../../support/api-events.js';
import { auditRows, insertCompletedJob, insertJob } from '../../support/api-fixtures.js';
import { type ApiHarness, startApiHarness } from '../../support/api-harness.js';
import { insertChunkedJob, type PartSpec } from '../../support/chunked-job.js';
import { etagOf, testS3 } from '../../support/services.js';

/**
 * The delivery side of chunked exports against the real Postgres and S3 emulator: the files list,
 * a download per file through presigned URLs the emulator serves, the manifest, the entity-tag
 * check per file and the audit trail. Jobs are stored as the chunk engine leaves them.
 */

const PARTS: PartSpec[] = [
  { name: 'transactions/part-00001.csv', table: 'transactions', body: 'id,amount\n1,9.50\n2,"1,000.00"\n' },
  { name: 'transactions/part-00002.csv', table: 'transactions', body: 'id,amount\n3,0.01\n' },
  { name: 'users/part-00001.csv', table: 'users', body: 'id,email\nu1,a@example.com\n' },
];

let api: ApiHarness;
const s3 = testS3();
const target = () => ({ sql: api.sql, s3, bucket: inject('bucket') });
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

beforeAll(async () => {
  api = await startApiHarness({ rateLimitMax: 1000 });
});

afterAll(async () => {
  await api?.close();
  s3.destroy();
});

/** Follows a download route answer to the bytes S3 serves. */
async function fetched(location: string): Promise<Buffer> {
  const response = await fetch(location);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('a completed chunked job', () => {
  it('lists its files, each downloadable through its own link, with the sizes and checksums the bytes have', async () => {
    const owner = randomUUID();
    const token = await bearerToken(owner);
    const { jobId, objects } = await insertChunkedJob(target(), owner, PARTS);
    // The entity tags the emulator gave the objects are the ones the job recorded (single PUTs).
    for (const file of (await api.sql`SELECT result FROM export_jobs WHERE id = ${jobId}`)[0]!.result.files)
      expect(await etagOf(s3, file.key)).toBe(file.etag);

    const listed = await api.call('listJobFiles', { token, pathParameters: { jobId } });

    expect(listed.statusCode).toBe(200);
    const files = JobFilesResponse.parse(bodyOf(listed));
    expect(files.files.map((f) => [f.name, f.table, f.rows])).toEqual([
      ['transactions/part-00001.csv', 'transactions', 2],
      ['transactions/part-00002.csv', 'transactions', 1],
      ['users/part-00001.csv', 'users', 1],
    ]);
    expect(files.totals).toEqual({ files: 3, rows: 4, bytes: files.files.reduce((n, f) => n + f.bytes, 0) });
    for (const file of files.files) {
      const url = new URL(file.downloadUrl);
      const response = await api.call('downloadJob', {
        token,
        pathParameters: { jobId },
        query: Object.fromEntries(url.searchParams),
      });
      expect(response.statusCode, file.name).toBe(302);
      const body = await fetched(headerOf(response, 'location')!);
      expect(body.equals(objects.get(`exports/${jobId}/${file.name}`)!), file.name).toBe(true);
      expect(sha256(body)).toBe(file.sha256);
      expect(body.length).toBe(file.bytes);
    }
    const since = new Date(Date.now() - 60_000);
    const audited = await api.sql`
      SELECT details->>'file' AS file FROM export_audit_log
      WHERE job_id = ${jobId} AND action = 'download' AND status = 'ok' AND created_at >= ${since} ORDER BY id`;
    expect(audited.map((row) => row.file)).toEqual(files.files.map((f) => f.name));
  });

  it('serves its manifest at the manifest link and without a file name, as a redirect or as JSON', async () => {
    const owner = randomUUID();
    const token = await bearerToken(owner);
    const { jobId, manifest } = await insertChunkedJob(target(), owner, PARTS);
    const files = JobFilesResponse.parse(
      bodyOf(await api.call('listJobFiles', { token, pathParameters: { jobId } })),
    );

    const named = await api.call('downloadJob', {
      token,
      pathParameters: { jobId },
      query: Object.fromEntries(new URL(files.manifestUrl!).searchParams),
    });
    const unnamed = await api.call('downloadJob', {
      token,
      pathParameters: { jobId },
      headers: { Accept: 'application/json' },
    });

    expect((await fetched(headerOf(named, 'location')!)).equals(manifest)).toBe(true);
    expect(unnamed.statusCode).toBe(200);
    const served = await fetched(DownloadLink.parse(bodyOf(unnamed)).url);
    const parsed = JSON.parse(served.toString('utf8')) as { files: { name: string; sha256: string }[] };
    expect(parsed.files.map((f) => [f.name, f.sha256])).toEqual(files.files.map((f) => [f.name, f.sha256]));
  });

  it("shows chunks done and planned in the job's progress", async () => {
    const owner = randomUUID();
    const { jobId } = await insertChunkedJob(target(), owner, PARTS);

    const response = await api.call('getJob', { token: await bearerToken(owner), pathParameters: { jobId } });

    expect(JobViewSchema.parse(bodyOf(response)).progress).toMatchObject({ chunksDone: 3, chunksTotal: 3 });
  });

  it('serves a file to the link token of its email, and refuses a file replaced since (409) or unknown (404)', async () => {
    const owner = randomUUID();
    const { jobId } = await insertChunkedJob(target(), owner, PARTS);
    const link = await createLinkToken(TEST_LINK_SECRET, { jobId, userId: owner }, 3600);
    await s3.send(
      new PutObjectCommand({
        Bucket: inject('bucket'),
        Key: `exports/${jobId}/transactions/part-00002.csv`,
        Body: 'id,amount\n666,0\n',
      }),
    );
    const since = new Date(Date.now() - 1000);
    const get = (file: string) =>
      api.call('downloadJob', { pathParameters: { jobId }, query: { token: link, file } });

    const intact = await get('users/part-00001.csv');
    const replaced = await get('transactions/part-00002.csv');
    const unknown = await get('users/part-00002.csv');

    expect((await fetched(headerOf(intact, 'location')!)).toString()).toBe('id,email\nu1,a@example.com\n');
    expect(replaced.statusCode).toBe(409);
    expect(unknown.statusCode).toBe(404);
    expect(bodyOf(unknown)).toMatchObject({ error: { details: [{ field: 'file' }] } });
    expect((await auditRows(api.sql, { jobId, action: 'download', since })).map((r) => r.status)).toEqual([
      'ok',
      'refused',
      'refused',
    ]);
  });
});

describe('the files of other jobs', () => {
  it('are the one object of a job that wrote one, downloadable by its name', async () => {
    const owner = randomUUID();
    const token = await bearerToken(owner);
    const jobId = await insertCompletedJob(api.sql, owner, 'id\n42\n');

    const files = JobFilesResponse.parse(
      bodyOf(await api.call('listJobFiles', { token, pathParameters: { jobId } })),
    );
    const response = await api.call('downloadJob', {
      token,
      pathParameters: { jobId },
      query: { file: files.files[0]!.name },
    });

    expect(files.manifestUrl).toBeNull();
    expect(files.files.map((f) => f.name)).toEqual(['users.csv']);
    expect((await fetched(headerOf(response, 'location')!)).toString()).toBe('id\n42\n');
  });

  it('are not listed before the job completes (409 naming its status)', async () => {
    const owner = randomUUID();
    const jobId = await insertJob(api.sql, { requestedBy: owner, status: 'processing' });

    const response = await api.call('listJobFiles', {
      token: await bearerToken(owner),
      pathParameters: { jobId },
    });

    expect(response.statusCode).toBe(409);
    expect(bodyOf(response)).toMatchObject({
      error: { code: 'conflict', details: { status: 'processing' } },
    });
  });
});
