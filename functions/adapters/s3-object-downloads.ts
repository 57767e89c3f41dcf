import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { attachmentDisposition } from '../domain/content-disposition.js';
import type { ObjectDownloads, StoredObject } from '../domain/ports.js';
import { isNotFound, translateS3Error, unquote } from './s3-client.js';

export interface S3ObjectDownloadsProps {
  readonly client: S3Client;
  readonly bucket: string;
}

/** The read side of the ObjectStore port on S3: presigned downloads and existence checks. */
export class S3ObjectDownloads implements ObjectDownloads {
  constructor(protected readonly props: S3ObjectDownloadsProps) {}

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
      if (isNotFound(error)) return undefined;
      throw translateS3Error(error, `checking ${key}`);
    }
  }
}
