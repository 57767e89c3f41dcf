import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachmentDisposition } from '../domain/content-disposition.js';
import { DependencyError, ExportError } from '../domain/errors.js';
import type { ObjectStore, StoredObject, UploadRequest } from '../domain/ports.js';

export interface S3ObjectStoreProps {
  readonly client: S3Client;
  readonly bucket: string;
  /**
   * @default 5 MiB, S3's minimum: memory stays ≈ partSize × (queueSize + 2). With S3's 10,000-part
   * limit one object can reach 48.8 GiB; raise it (`UPLOAD_PART_SIZE_MIB`) for larger exports.
   */
  readonly partSize?: number;
  /** @default 2 */
  readonly queueSize?: number;
}

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
function translateS3Error(error: unknown, what: string): Error {
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
const unquote = (etag: string | undefined) => (etag ?? '').replace(/^"|"$/g, '');

/** The ObjectStore port on S3: multipart uploads through `@aws-sdk/lib-storage`. */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly props: S3ObjectStoreProps) {}

  async upload(request: UploadRequest): Promise<StoredObject> {
    const upload = new Upload({
      client: this.props.client,
      params: {
        Bucket: this.props.bucket,
        Key: request.key,
        Body: request.body,
        ContentType: request.contentType,
        ContentDisposition: request.contentDisposition,
        Metadata: request.metadata ? { ...request.metadata } : undefined,
      },
      partSize: this.props.partSize ?? 5 * 1024 * 1024,
      queueSize: this.props.queueSize ?? 2,
      // On failure lib-storage aborts the multipart upload, so no parts are left to bill.
      leavePartsOnError: false,
    });
    try {
      const stored = await upload.done();
      return { etag: unquote(stored.ETag) };
    } catch (error) {
      if (upload.uploadId) await this.abortUntilGone(request.key, upload.uploadId);
      // When the body failed (the export broke or was cancelled), that is the failure, whatever
      // its type. A body that was merely cut off (aborted, closed early) was a consequence of the
      // upload's own failure, which is then the one to report.
      const own = request.body.errored as (Error & { code?: string }) | null;
      const cutOff = !own || own.name === 'AbortError' || own.code === 'ERR_STREAM_PREMATURE_CLOSE';
      throw cutOff ? translateS3Error(error, `uploading ${request.key}`) : own;
    }
  }

  /**
   * lib-storage aborts a failed multipart upload once; when the store itself was unreachable that
   * abort fails too and the parts would linger (and bill) until the bucket's lifecycle rule. Retry
   * for a few seconds; a NoSuchUpload answer means it is already gone.
   */
  private async abortUntilGone(key: string, uploadId: string): Promise<void> {
    for (const delayMs of [0, 250, 500, 1000, 2000, 4000]) {
      if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
      try {
        await this.props.client.send(
          new AbortMultipartUploadCommand({ Bucket: this.props.bucket, Key: key, UploadId: uploadId }),
        );
        return;
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return;
      }
    }
  }

  async presignDownload(
    key: string,
    options: { expiresInSeconds: number; filename: string },
  ): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.props.bucket,
      Key: key,
      ResponseContentDisposition: attachmentDisposition(options.filename),
    });
    return getSignedUrl(this.props.client, command, { expiresIn: options.expiresInSeconds });
  }

  async head(key: string): Promise<StoredObject | undefined> {
    try {
      const head = await this.props.client.send(
        new HeadObjectCommand({ Bucket: this.props.bucket, Key: key }),
      );
      return { etag: unquote(head.ETag) };
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw translateS3Error(error, `checking ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.props.client.send(new DeleteObjectCommand({ Bucket: this.props.bucket, Key: key }));
    } catch (error) {
      throw translateS3Error(error, `deleting ${key}`);
    }
  }
}
