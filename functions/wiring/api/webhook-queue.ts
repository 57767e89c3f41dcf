import { SqsWebhookQueue } from '../../adapters/sqs/sqs-webhook-queue.js';
import { sqsClient } from '../../platform/aws/sqs-client.js';
import { config } from '../../platform/config.js';
import { once } from '../../platform/once.js';

/** The webhook delivery queue (`WEBHOOK_QUEUE_URL`), for the test route only: its own module, so no other bundle carries SQS. */
export const apiWebhookQueue = once(() => {
  const url = config().WEBHOOK_QUEUE_URL;
  if (!url) throw new Error('invalid configuration: WEBHOOK_QUEUE_URL: required to send test events');
  return new SqsWebhookQueue({ client: sqsClient(), queueUrl: url });
});
