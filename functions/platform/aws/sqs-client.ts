import { createSqsClient } from '../../adapters/sqs/client.js';
import { config } from '../config.js';
import { once } from '../once.js';
import { tracer } from '../powertools.js';

/** The Lambda's SQS client, created on first use from `config()` and traced by X-Ray. */
export const sqsClient = once(() => {
  const cfg = config();
  return tracer.captureAWSv3Client(createSqsClient({ endpoint: cfg.SQS_ENDPOINT, region: cfg.AWS_REGION }));
});

/** `EXPORT_QUEUE_URL`, required by whoever sends to the export queue. */
export function exportQueueUrl(): string {
  const url = config().EXPORT_QUEUE_URL;
  if (!url) throw new Error('invalid configuration: EXPORT_QUEUE_URL: required to send export messages');
  return url;
}
