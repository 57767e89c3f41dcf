import { SqsExportQueue } from '../../adapters/sqs-export-queue.js';
import { exportQueueUrl, sqsClient } from '../aws/sqs-client.js';
import { part } from './provided.js';

export const apiQueue = part(
  'queue',
  () => new SqsExportQueue({ client: sqsClient(), queueUrl: exportQueueUrl() }),
);
