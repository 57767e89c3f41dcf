import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { S3MultipartUploads } from '../../../functions/adapters/s3/s3-multipart-uploads.js';
import {
  MULTIPART_LIMITS,
  type MultipartUploads,
} from '../../../functions/domain/engine/multipart-uploads.js';
import { testS3 } from '../../support/services.js';
import { InMemoryMultipartUploads } from '../../support/worker-fakes.js';

/**
 * The MultipartUploads port, one set of cases run against the in-memory fake and against the S3
 * adapter on the local S3-compatible server.
 */
interface Subject {
  readonly uploads: MultipartUploads;
  key(name: string): string;
  read(key: string): Promise<Buffer | undefined>;
  /** Uploads begun under this test's keys and neither completed nor aborted. */
  openUploads(): Promise<number>;
}

const s3 = testS3();
const bucket = inject('bucket');
const MIN = MULTIPART_LIMITS.minPartBytes;

afterAll(() => {
  s3.destroy();
});

async function inMemory(): Promise<Subject> {
  const fake = new InMemoryMultipartUploads();
  return {
    uploads: fake,
    key: (name) => name,
    read: async (key) => fake.objects.get(key),
    openUploads: async () => fake.open.size,
  };
}

async function onS3(): Promise<Subject> {
  const prefix = `contracts/multipart/${randomUUID()}/`;
  return {
    uploads: new S3MultipartUploads({ client: s3, bucket }),
    key: (name) => `${prefix}${name}`,
    read: async (key) => {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from(await object.Body!.transformToByteArray());
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    openUploads: async () => {
      const { Uploads = [] } = await s3.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }),
      );
      return Uploads.length;
    },
  };
}

const filled = (size: number, byte: number) => Buffer.alloc(size, byte);

describe.each([
  ['in-memory', inMemory],
  ['s3', onS3],
])('MultipartUploads contract: %s', (_name, make) => {
  let s: Subject;
  beforeEach(async () => {
    s = await make();
  });

  it('joins parts uploaded one by one, across "invocations", into one object only on complete', async () => {
    const key = s.key('activity_logs/part-00001.csv');
    const uploadId = await s.uploads.create(key, { contentType: 'text/csv; charset=utf-8' });
    const first = await s.uploads.uploadPart(key, uploadId, 1, filled(MIN, 97));
    expect(await s.read(key)).toBeUndefined();

    // A later invocation knows only the upload id and the first part's entity tag.
    const second = await s.uploads.uploadPart(key, uploadId, 2, Buffer.from('tail\n'));
    const stored = await s.uploads.complete(key, uploadId, [second, first]);

    const body = await s.read(key);
    expect(body?.length).toBe(MIN + 5);
    expect(body?.subarray(MIN).toString()).toBe('tail\n');
    expect(stored.etag).toMatch(/-2$/);
    expect(await s.openUploads()).toBe(0);
  });

  it('reads back the object an upload completed into, byte for byte, and refuses a key with no object', async () => {
    const key = s.key('read-back.csv');
    const uploadId = await s.uploads.create(key, { contentType: 'text/csv' });
    const head = Buffer.from(Array.from({ length: MIN }, (_, i) => (i * 31) % 251));
    const first = await s.uploads.uploadPart(key, uploadId, 1, head);
    const second = await s.uploads.uploadPart(key, uploadId, 2, Buffer.from('tail\n'));
    await s.uploads.complete(key, uploadId, [first, second]);

    const pieces: Buffer[] = [];
    for await (const piece of await s.uploads.read(key)) pieces.push(Buffer.from(piece));

    expect(Buffer.concat(pieces).equals(Buffer.concat([head, Buffer.from('tail\n')]))).toBe(true);
    await expect(
      (async () => {
        for await (const _ of await s.uploads.read(s.key('never-written.csv'))) void _;
      })(),
    ).rejects.toThrow();
  });

  it('replaces a part uploaded again under the same number (a retried invocation)', async () => {
    const key = s.key('retried.csv');
    const uploadId = await s.uploads.create(key, { contentType: 'text/csv' });
    await s.uploads.uploadPart(key, uploadId, 1, Buffer.from('stale'));
    const part = await s.uploads.uploadPart(key, uploadId, 1, Buffer.from('fresh'));
    await s.uploads.complete(key, uploadId, [part]);
    expect((await s.read(key))?.toString()).toBe('fresh');
  });

  it('refuses to complete with a part below 5 MiB that is not the last', async () => {
    const key = s.key('small.csv');
    const uploadId = await s.uploads.create(key, { contentType: 'text/csv' });
    const a = await s.uploads.uploadPart(key, uploadId, 1, Buffer.from('small'));
    const b = await s.uploads.uploadPart(key, uploadId, 2, Buffer.from('last'));
    await expect(s.uploads.complete(key, uploadId, [a, b])).rejects.toThrow();
    await s.uploads.abort(key, uploadId);
  });

  it('aborts an upload so that no object and no open upload remain; aborting again is no error', async () => {
    const key = s.key('aborted.csv');
    const uploadId = await s.uploads.create(key, { contentType: 'text/csv' });
    await s.uploads.uploadPart(key, uploadId, 1, filled(1024, 1));
    await s.uploads.abort(key, uploadId);
    await s.uploads.abort(key, uploadId);
    expect(await s.read(key)).toBeUndefined();
    expect(await s.openUploads()).toBe(0);
  });
});
