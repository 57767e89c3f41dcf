import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterAll, expect, inject, it } from 'vitest';
import { S3ObjectStore } from '../../../functions/adapters/s3/s3-object-store.js';
import { attachmentDisposition } from '../../../functions/domain/engine/content-disposition.js';
import type { ObjectStore } from '../../../functions/domain/engine/ports.js';
import { describeContract } from '../../support/contract-suite.js';
import { testS3 } from '../../support/services.js';
import { type FakeDownload, InMemoryObjectStore } from '../../support/worker-fakes.js';

/**
 * The ObjectStore port, one set of cases run against the in-memory fake the worker tests use and
 * against the S3 adapter on the local S3-compatible server.
 */

/**
 * An object as a GET returns it. Its stored Content-Disposition is left out: the local S3 server
 * does not keep it, and downloads name their file in the presigned URL instead.
 */
interface ReadObject {
  readonly body: Buffer;
  readonly contentType?: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** One implementation, with the means to look at what it stored. */
interface Subject {
  readonly store: ObjectStore;
  /** A key of this test's own. */
  key(name: string): string;
  /** The object at `key` as a GET returns it, or undefined. */
  read(key: string): Promise<ReadObject | undefined>;
  /** What a browser gets by following a presigned URL. */
  download(url: string): Promise<FakeDownload | { readonly status: number }>;
  /** Multipart uploads begun under this test's keys and neither completed nor aborted (S3 bills them). */
  unfinishedUploads(): Promise<number>;
}

const MiB = 1024 * 1024;
const s3 = testS3();
const bucket = inject('bucket');

afterAll(() => {
  s3.destroy();
});

async function inMemory(): Promise<Subject> {
  const fake = new InMemoryObjectStore();
  return {
    store: fake,
    key: (name) => name,
    read: async (key) => {
      const body = fake.objects.get(key);
      const headers = fake.headers.get(key);
      return body && headers && { body, ...headers };
    },
    download: async (url) => fake.download(url),
    // The fake keeps no parts: an upload is whole or absent.
    unfinishedUploads: async () => 0,
  };
}

async function onS3(): Promise<Subject> {
  const prefix = `contracts/object-store/${randomUUID()}/`;
  return {
    store: new S3ObjectStore({ client: s3, bucket, partSize: 5 * MiB, queueSize: 2 }),
    key: (name) => `${prefix}${name}`,
    read: async (key) => {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return {
          body: Buffer.from(await object.Body!.transformToByteArray()),
          ...(object.ContentType !== undefined && { contentType: object.ContentType }),
          metadata: object.Metadata ?? {},
        };
      } catch (error) {
        if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
    download: async (url) => {
      const response = await fetch(url);
      if (response.status !== 200) return { status: response.status };
      return {
        status: 200,
        body: Buffer.from(await response.arrayBuffer()),
        contentType: response.headers.get('content-type') ?? undefined,
        contentDisposition: response.headers.get('content-disposition') ?? '',
      } as FakeDownload;
    },
    unfinishedUploads: async () => {
      const { Uploads = [] } = await s3.send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }),
      );
      return Uploads.length;
    },
  };
}

/** `size` bytes of a repeating, position-dependent pattern, so a misplaced part would show. */
function pattern(size: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 31 + Math.floor(i / 4096)) % 251;
  return body;
}

/** A body that streams `bytes` bytes in 1 MiB chunks and then fails with `error`, as a broken export does. */
function failingBody(bytes: number, error: Error): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) {
        this.destroy(error);
        return;
      }
      const chunk = pattern(Math.min(MiB, bytes - sent));
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

describeContract<Subject>('ObjectStore', { 'in-memory': inMemory, s3: onS3 }, (s) => {
  it('stores a streamed body with its content type and metadata, and reports its entity tag', async () => {
    const key = s.key('users.csv');
    const body = Buffer.from('id,name\n1,Zoë\n');

    const stored = await s.store.upload({
      key,
      body: Readable.from(body),
      contentType: 'text/csv; charset=utf-8',
      contentDisposition: attachmentDisposition('users.csv'),
      metadata: { 'job-id': 'j1', rows: '1' },
    });

    expect(await s.store.head(key)).toEqual(stored);
    expect(stored.etag).toMatch(/^[0-9a-f]{32}(-\d+)?$/);
    expect(await s.read(key)).toEqual({
      body,
      contentType: 'text/csv; charset=utf-8',
      metadata: { 'job-id': 'j1', rows: '1' },
    });
  });

  it('stores a body larger than one part whole, in order', async () => {
    const key = s.key('big.ndjson');
    const body = pattern(11 * MiB + 123);

    const stored = await s.store.upload({
      key,
      body: Readable.from(chunksOf(body, 256 * 1024)),
      contentType: 'application/x-ndjson',
    });

    expect((await s.read(key))?.body.equals(body)).toBe(true);
    expect(await s.store.head(key)).toEqual(stored);
    expect(await s.unfinishedUploads()).toBe(0);
  });

  it('stores an empty body as an empty object', async () => {
    const key = s.key('empty.csv');

    await s.store.upload({ key, body: Readable.from([]), contentType: 'text/csv' });

    expect((await s.read(key))?.body).toEqual(Buffer.alloc(0));
    expect(await s.store.head(key)).toBeDefined();
  });

  it('stores a body streamed as strings as their UTF-8 bytes', async () => {
    const key = s.key('strings.txt');

    await s.store.upload({ key, body: Readable.from(['Zoë, ', 'Łukasz\n']), contentType: 'text/plain' });

    expect((await s.read(key))?.body.toString('utf8')).toBe('Zoë, Łukasz\n');
  });

  it('gives a replaced object a new entity tag', async () => {
    const key = s.key('users.csv');
    const first = await s.store.upload({
      key,
      body: Readable.from(Buffer.from('a\n')),
      contentType: 'text/csv',
    });

    const second = await s.store.upload({
      key,
      body: Readable.from(Buffer.from('b\n')),
      contentType: 'text/csv',
    });

    expect(second.etag).not.toBe(first.etag);
    expect(await s.store.head(key)).toEqual(second);
    expect((await s.read(key))?.body.toString()).toBe('b\n');
  });

  it('rejects with the body’s own error when the body fails mid-way, leaving no object and no unfinished upload', async () => {
    const key = s.key('broken.csv');
    const broken = new Error('the export broke');

    const upload = s.store.upload({ key, body: failingBody(6 * MiB, broken), contentType: 'text/csv' });

    await expect(upload).rejects.toBe(broken);
    expect(await s.store.head(key)).toBeUndefined();
    expect(await s.read(key)).toBeUndefined();
    expect(await s.unfinishedUploads()).toBe(0);
  });

  it('keeps the previous object when a replacement fails', async () => {
    const key = s.key('users.csv');
    const kept = await s.store.upload({
      key,
      body: Readable.from(Buffer.from('kept\n')),
      contentType: 'text/csv',
    });

    await expect(
      s.store.upload({ key, body: failingBody(MiB, new Error('broke')), contentType: 'text/csv' }),
    ).rejects.toThrow('broke');

    expect(await s.store.head(key)).toEqual(kept);
    expect((await s.read(key))?.body.toString()).toBe('kept\n');
  });

  it('presigns a URL that downloads the object as it is now, as an attachment with the given name', async () => {
    const key = s.key('users.csv');
    await s.store.upload({ key, body: Readable.from(Buffer.from('first\n')), contentType: 'text/csv' });
    const url = await s.store.presignDownload(key, {
      expiresInSeconds: 300,
      filename: 'users_2024-05-01 «Zoë».csv',
    });
    await s.store.upload({ key, body: Readable.from(Buffer.from('second\n')), contentType: 'text/csv' });

    const download = await s.download(url);

    expect(download).toMatchObject({
      status: 200,
      body: Buffer.from('second\n'),
      contentType: 'text/csv',
      contentDisposition: attachmentDisposition('users_2024-05-01 «Zoë».csv'),
    });
    expect(new URL(url).searchParams.get('X-Amz-Expires')).toBe('300');
  });

  it('presigns a URL for a missing object that downloads nothing', async () => {
    const url = await s.store.presignDownload(s.key('missing.csv'), {
      expiresInSeconds: 60,
      filename: 'x.csv',
    });

    const download = await s.download(url);

    expect(download.status).toBe(404);
  });

  it('answers undefined for a missing key, deletes an object, and deletes a missing key without error', async () => {
    const key = s.key('users.csv');
    await s.store.upload({ key, body: Readable.from(Buffer.from('x\n')), contentType: 'text/csv' });

    await s.store.delete(key);
    await s.store.delete(key);
    await s.store.delete(s.key('never-there.csv'));

    expect(await s.store.head(key)).toBeUndefined();
    expect(await s.store.head(s.key('never-there.csv'))).toBeUndefined();
    expect(await s.read(key)).toBeUndefined();
  });
});

function* chunksOf(body: Buffer, size: number): Generator<Buffer> {
  for (let offset = 0; offset < body.length; offset += size) yield body.subarray(offset, offset + size);
}
