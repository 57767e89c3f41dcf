import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachmentDisposition } from '../../domain/engine/content-disposition.js';
import type { StoredObject } from '../../domain/engine/ports.js';
import {
  type AwsClientOptions,
  awsClientConfig,
  isNetworkFailure,
  translateAwsError,
} from '../aws/client-config.js';

/**
 * S3 client for the export bucket. With a custom endpoint (the local emulator) it uses path-style
 * URLs; checksums are sent only when required, otherwise a streamed body is framed as aws-chunked,
 * which emulators may store verbatim.
 */
export function createS3Client(options: AwsClientOptions = {}): S3Client {
  return new S3Client({
    ...awsClientConfig(options),
    ...(options.endpoint && { forcePathStyle: true }),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** S3 failures worth a retry: no answer at all, throttling (429, `SlowDown` is a 503) and 5xx. */
function isTransientS3Error(error: unknown): boolean {
  const e = error as { $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  return (
    isNetworkFailure(error) || (status !== undefined && (status >= 500 || status === 429)) || !!e.$retryable
  );
}

/** Translates an S3 SDK error: throttling, 5xx and network failures are retryable. */
export function translateS3Error(error: unknown, what: string): Error {
  return translateAwsError(
    error,
    {
      unavailable: `object store unavailable while ${what}`,
      code: 'object_store_error',
      refused: `object store refused ${what}`,
    },
    isTransientS3Error,
  );
}

/** S3 returns entity tags in quotes (`"abc…-3"`); the port compares them without. */
export const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

/** True when S3 answered 404 (no such key, bucket or upload). */
export const isNotFound = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

/** A presigned GET of `key` that saves the file as `filename`, valid `expiresInSeconds`. */
export function presignGet(
  client: S3Client,
  bucket: string,
  key: string,
  options: { readonly expiresInSeconds: number; readonly filename: string },
): Promise<string> {
  const command = new GetObjectCommand({
    Bucket: bucket,
    Key: key,
    ResponseContentDisposition: attachmentDisposition(options.filename),
  });
  return getSignedUrl(client, command, { expiresIn: options.expiresInSeconds });
}

/** The object at `key` (its entity tag), or undefined when there is none. */
export async function headObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<StoredObject | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { etag: unquote(head.ETag) };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw translateS3Error(error, `checking ${key}`);
  }
}
