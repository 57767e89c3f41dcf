import type { AddressInfo } from 'node:net';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { buildApp } from 'fauxqs';

/** The only interface the emulator listens on: it has no authentication. */
export const LOOPBACK = '127.0.0.1';

/** The in-process AWS emulator (S3 and SQS) used by the local runtime and the tests. */
export interface LocalAws {
  /** Endpoint for both the S3 (path style) and the SQS clients. */
  readonly endpoint: string;
  readonly port: number;
  createBucket(name: string): Promise<void>;
  /** Deletes every object of `name` (the bucket stays). */
  emptyBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** S3's GetObject query parameters that set a response header, and the header each sets. */
const RESPONSE_OVERRIDES: Readonly<Record<string, string>> = {
  'response-content-disposition': 'content-disposition',
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-content-encoding': 'content-encoding',
  'response-cache-control': 'cache-control',
  'response-expires': 'expires',
};

/**
 * Sets the headers a GetObject's `response-*` parameters ask for, as S3 does and fauxqs does not:
 * a presigned download URL names the file (`response-content-disposition`), so that a browser
 * saves it under that name locally as in AWS.
 */
function applyResponseOverrides(
  url: string,
  reply: { statusCode: number; header(name: string, value: string): unknown },
) {
  if (reply.statusCode !== 200 && reply.statusCode !== 206) return;
  const query = new URL(url, 'http://local').searchParams;
  for (const [parameter, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = query.get(parameter);
    if (value !== null) reply.header(header, value);
  }
}

/**
 * Starts fauxqs, which speaks the S3 REST and the SQS JSON protocols of the current AWS SDK. It
 * was chosen over s3rver because it implements AbortMultipartUpload (s3rver answers
 * NotImplemented), which the engine relies on to leave nothing behind when an export fails.
 *
 * fauxqs has no authentication, and its own `startFauxqs` listens on every interface; its app is
 * started here on the loopback interface instead, so nothing outside this machine can read the
 * exports or the queues.
 */
export async function startLocalAws(
  props: { port?: number; buckets?: readonly string[] } = {},
): Promise<LocalAws> {
  const app = buildApp({ logger: false, host: LOOPBACK });
  app.addHook('onSend', async (request, reply) => {
    if (request.method === 'GET') applyResponseOverrides(request.url, reply);
  });
  await app.listen({ port: props.port ?? 0, host: LOOPBACK });
  const { port } = app.server.address() as AddressInfo;
  const endpoint = `http://${LOOPBACK}:${port}`;
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const aws: LocalAws = {
    endpoint,
    port,
    async createBucket(name) {
      await s3.send(new CreateBucketCommand({ Bucket: name }));
    },
    async emptyBucket(name) {
      for (;;) {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: name }));
        const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
        if (keys.length === 0) return;
        await s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys } }));
      }
    },
    async stop() {
      s3.destroy();
      await app.close();
    },
  };
  try {
    for (const bucket of props.buckets ?? []) await aws.createBucket(bucket);
  } catch (error) {
    await aws.stop();
    throw error;
  }
  return aws;
}
