import net from 'node:net';
import os from 'node:os';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from '../../../functions/adapters/s3/client.js';
import { LOOPBACK, type LocalAws, startLocalAws } from '../../../local/local-aws.js';

/** Resolves whether a TCP connection to host:port is accepted. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const externalAddresses = Object.values(os.networkInterfaces())
  .flat()
  .filter((a): a is os.NetworkInterfaceInfo => !!a && a.family === 'IPv4' && !a.internal)
  .map((a) => a.address);

describe('local S3/SQS emulator', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startLocalAws({ buckets: ['emulator-bucket'] });
  });
  afterAll(async () => {
    await aws.stop();
  });

  it('listens on the loopback interface only, since it has no authentication', async () => {
    expect(new URL(aws.endpoint).hostname).toBe(LOOPBACK);
    expect(await connects(LOOPBACK, aws.port)).toBe(true);
    for (const address of externalAddresses) {
      expect(await connects(address, aws.port), `reachable on ${address}`).toBe(false);
    }
  });

  it('answers a presigned GET with the headers its response-* parameters ask for, as S3 does', async () => {
    const s3 = createS3Client({ endpoint: aws.endpoint });
    await s3.send(
      new PutObjectCommand({
        Bucket: 'emulator-bucket',
        Key: 'a/b.csv',
        Body: 'x\n',
        ContentType: 'text/csv',
      }),
    );
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({
        Bucket: 'emulator-bucket',
        Key: 'a/b.csv',
        ResponseContentDisposition: 'attachment; filename="b_2024-05-01.csv"',
        ResponseCacheControl: 'no-store',
      }),
      { expiresIn: 60 },
    );

    const named = await fetch(url);
    const plain = await fetch(`${aws.endpoint}/emulator-bucket/a/b.csv`);
    s3.destroy();

    expect(named.status).toBe(200);
    expect(named.headers.get('content-disposition')).toBe('attachment; filename="b_2024-05-01.csv"');
    expect(named.headers.get('cache-control')).toBe('no-store');
    expect(named.headers.get('content-type')).toBe('text/csv');
    expect(await named.text()).toBe('x\n');
    expect(plain.headers.get('content-disposition')).toBeNull();
  });
});
