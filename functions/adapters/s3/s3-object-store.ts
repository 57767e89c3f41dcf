import { AbortMultipartUploadCommand, DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ObjectStore, StoredObject, UploadRequest } from '../../domain/engine/ports.js';
import { headObject, isNotFound, presignGet, translateS3Error, unquote } from './client.js';

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

/** The ObjectStore port on S3: multipart uploads through `@aws-sdk/lib-storage`, and the reads. */
export class S3ObjectStore implements ObjectStore {
  constructor(private readonly props: S3ObjectStoreProps) {}

  presignDownload(key: string, options: { expiresInSeconds: number; filename: string }): Promise<string> {
    return presignGet(this.props.client, this.props.bucket, key, options);
  }

  head(key: string): Promise<StoredObject | undefined> {
    return headObject(this.props.client, this.props.bucket, key);
  }

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
        if (isNotFound(error)) return;
      }
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
