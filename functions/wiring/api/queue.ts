import { SqsExportQueue } from '../../adapters/sqs/sqs-export-queue.js';
import { exportQueueUrl, sqsClient } from '../../platform/aws/sqs-client.js';
import { part } from './provided.js';

export const apiQueue = part(
  'queue',
  () => new SqsExportQueue({ client: sqsClient(), queueUrl: exportQueueUrl() }),
);
