import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { DependencyError, ExportError } from '../domain/errors.js';

/**
 * S3 client for the export bucket. With a custom endpoint (the local emulator) it uses path-style
 * URLs; checksums are sent only when required, otherwise a streamed body is framed as aws-chunked,
 * which emulators may store verbatim.
 */
export function createS3Client(options: { endpoint?: string; region?: string } = {}): S3Client {
  const config: S3ClientConfig = {
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    config.forcePathStyle = true;
    config.credentials = {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    };
  }
  return new S3Client(config);
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError', 'AbortError']);

/** Translates an S3 SDK error: throttling, 5xx and network failures are retryable. */
export function translateS3Error(error: unknown, what: string): Error {
  if (error instanceof ExportError) return error;
  const e = error as {
    name?: string;
    $metadata?: { httpStatusCode?: number };
    $retryable?: unknown;
    code?: string;
  };
  const status = e.$metadata?.httpStatusCode;
  const networkFailure =
    status === undefined && (NETWORK_CODES.has(e.code ?? '') || NETWORK_NAMES.has(e.name ?? ''));
  if (networkFailure || (status !== undefined && (status >= 500 || status === 429)) || e.$retryable) {
    return new DependencyError(`object store unavailable while ${what}`, error);
  }
  return new ExportError('object_store_error', `object store refused ${what}: ${e.name ?? 'error'}`, 500, {
    cause: error,
  });
}

/** S3 returns entity tags in quotes (`"abc…-3"`); the port compares them without. */
export const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

/** True when S3 answered 404 (no such key, bucket or upload). */
export const isNotFound = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
