import { SqsExportQueue } from '../../adapters/sqs/sqs-export-queue.js';
import { exportQueueUrl, sqsClient } from '../../platform/aws/sqs-client.js';
import { once } from '../../platform/once.js';

export const apiQueue = once(() => new SqsExportQueue({ client: sqsClient(), queueUrl: exportQueueUrl() }));
