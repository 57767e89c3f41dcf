import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectDownloads, StoredObject } from '../../domain/engine/ports.js';
import { headObject, presignGet } from './client.js';

export interface S3ObjectDownloadsProps {
  readonly client: S3Client;
  readonly bucket: string;
}

/** The read side of the ObjectStore port on S3: presigned downloads and existence checks. */
export class S3ObjectDownloads implements ObjectDownloads {
  constructor(private readonly props: S3ObjectDownloadsProps) {}

  presignDownload(key: string, options: { expiresInSeconds: number; filename: string }): Promise<string> {
    return presignGet(this.props.client, this.props.bucket, key, options);
  }

  head(key: string): Promise<StoredObject | undefined> {
    return headObject(this.props.client, this.props.bucket, key);
  }
}
