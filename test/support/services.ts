import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import postgres, { type Sql } from 'postgres';
import { inject } from 'vitest';
import { createS3Client } from '../../functions/adapters/s3/client.js';

/** A postgres.js client on the test database (real server started by the global setup), as its owner. */
export function testSql(options: postgres.Options<Record<string, never>> = {}): Sql {
  return postgres(inject('databaseUrl'), { max: 4, onnotice: () => {}, ...options });
}

/**
 * A client logged in as one of the service's least-privilege roles (db/service-roles.ts), as the
 * API, worker or sweeper connect in AWS: code under test uses these, so a missing grant fails here.
 */
export function serviceSql(
  login: 'api' | 'worker' | 'sweeper',
  options: postgres.Options<Record<string, never>> & { database?: string } = {},
): Sql {
  const { database, ...rest } = options;
  const url = new URL(inject('serviceDatabaseUrls')[login]);
  if (database) url.pathname = `/${database}`;
  return postgres(url.toString(), { max: 4, onnotice: () => {}, ...rest });
}

export function testS3(): S3Client {
  return createS3Client({ endpoint: inject('awsEndpoint') });
}

export async function readObject(s3: S3Client, key: string, bucket = inject('bucket')): Promise<Buffer> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

export async function objectExists(s3: S3Client, key: string, bucket = inject('bucket')): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
      return false;
    throw error;
  }
}

/** The keys under `prefix`, sorted: what a job left in the bucket. */
export async function keysUnder(s3: S3Client, prefix: string, bucket = inject('bucket')): Promise<string[]> {
  const { Contents = [] } = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return Contents.map((o) => o.Key!).sort();
}

/** The entity tag of `key` without quotes, as the ObjectStore port reports it. */
export async function etagOf(s3: S3Client, key: string, bucket = inject('bucket')): Promise<string> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return (head.ETag ?? '').replace(/^"|"$/g, '');
}

/** Runs `COPY (query) TO STDOUT …` with postgres.js and returns the bytes: an oracle independent of the engine. */
export async function copyToBuffer(sql: Sql, statement: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  await sql.begin(async (tx) => {
    await tx`SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, MDY', true)`;
    const stream = await tx.unsafe(statement).readable();
    for await (const chunk of stream) parts.push(chunk as Buffer);
    // postgres.js may leave its socket paused when a COPY ends under backpressure (see
    // PostgresExportDatabase.copyOut); resume it so the transaction can finish.
    stream._read(0);
  });
  return Buffer.concat(parts);
}
