import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type {
  MultipartObject,
  MultipartUploads,
  UploadedPart,
} from '../../domain/engine/multipart-uploads.js';
import type { StoredObject } from '../../domain/engine/ports.js';
import { isNotFound, translateS3Error, unquote } from './client.js';

export interface S3MultipartUploadsProps {
  readonly client: S3Client;
  readonly bucket: string;
}

/**
 * The MultipartUploads port on S3's CreateMultipartUpload / UploadPart / CompleteMultipartUpload /
 * AbortMultipartUpload (and GetObject, to read a completed file back). Entity tags are kept as S3 returns them (quoted), since completing the
 * upload sends them back verbatim.
 */
export class S3MultipartUploads implements MultipartUploads {
  constructor(private readonly props: S3MultipartUploadsProps) {}

  async create(key: string, object: MultipartObject): Promise<string> {
    try {
      const created = await this.props.client.send(
        new CreateMultipartUploadCommand({
          Bucket: this.props.bucket,
          Key: key,
          ContentType: object.contentType,
          ContentDisposition: object.contentDisposition,
          Metadata: object.metadata ? { ...object.metadata } : undefined,
        }),
      );
      if (!created.UploadId) throw new Error('CreateMultipartUpload returned no upload id');
      return created.UploadId;
    } catch (error) {
      throw translateS3Error(error, `starting the upload of ${key}`);
    }
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<UploadedPart> {
    try {
      const part = await this.props.client.send(
        new UploadPartCommand({
          Bucket: this.props.bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: body,
          ContentLength: body.length,
        }),
      );
      return { partNumber, etag: part.ETag ?? '' };
    } catch (error) {
      throw translateS3Error(error, `uploading part ${partNumber} of ${key}`);
    }
  }

  async complete(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<StoredObject> {
    try {
      const done = await this.props.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.props.bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: [...parts]
              .sort((a, b) => a.partNumber - b.partNumber)
              .map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })),
          },
        }),
      );
      return { etag: unquote(done.ETag) };
    } catch (error) {
      throw translateS3Error(error, `completing the upload of ${key}`);
    }
  }

  async abort(key: string, uploadId: string): Promise<void> {
    try {
      await this.props.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.props.bucket, Key: key, UploadId: uploadId }),
      );
    } catch (error) {
      if (isNotFound(error)) return;
      throw translateS3Error(error, `aborting the upload of ${key}`);
    }
  }

  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    try {
      const object = await this.props.client.send(
        new GetObjectCommand({ Bucket: this.props.bucket, Key: key }),
      );
      if (!object.Body) throw new Error(`GetObject returned no body for ${key}`);
      return translatedBody(object.Body as AsyncIterable<Uint8Array>, `reading back ${key}`);
    } catch (error) {
      throw translateS3Error(error, `reading back ${key}`);
    }
  }
}

/** A body whose failures mid-stream (a dropped connection) are the port's errors too. */
async function* translatedBody(body: AsyncIterable<Uint8Array>, what: string): AsyncIterable<Uint8Array> {
  try {
    yield* body;
  } catch (error) {
    throw translateS3Error(error, what);
  }
}
