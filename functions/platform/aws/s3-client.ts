import { createS3Client } from '../../adapters/s3/client.js';
import { config } from '../config.js';
import { once } from '../once.js';
import { tracer } from '../powertools.js';

/** The Lambda's S3 client, created on first use from `config()` and traced by X-Ray. */
export const s3Client = once(() => {
  const cfg = config();
  return tracer.captureAWSv3Client(createS3Client({ endpoint: cfg.S3_ENDPOINT, region: cfg.AWS_REGION }));
});
