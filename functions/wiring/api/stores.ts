import type { S3Client } from '@aws-sdk/client-s3';
import { S3ObjectDownloads } from '../../adapters/s3/s3-object-downloads.js';
import { s3Client } from '../../platform/aws/s3-client.js';
import { config } from '../../platform/config.js';
import { once, perKey } from '../../platform/once.js';

/** The downloads of each bucket on `client`; no bucket is `defaultBucket`. */
export const storesOf = (client: S3Client, defaultBucket: string) => {
  const store = perKey((bucket: string) => new S3ObjectDownloads({ client, bucket }));
  return (bucket: string = defaultBucket) => store(bucket);
};

export const apiStores = once(() => storesOf(s3Client(), config().EXPORT_BUCKET));
