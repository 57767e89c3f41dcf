import { DnsHostResolver } from '../../adapters/dns-host-resolver.js';
import { PostgresWebhookDeliveries } from '../../adapters/postgres-webhook-deliveries.js';
import { PostgresWebhookStore } from '../../adapters/postgres-webhook-store.js';
import { SqsWebhookQueue } from '../../adapters/sqs-webhook-queue.js';
import { sqsClient } from '../aws/sqs-client.js';
import { config } from '../config.js';
import { once } from '../once.js';
import { createSecretBox } from '../webhook-secret-key.js';
import { apiConnection } from './database.js';
import { part } from './provided.js';

export const apiWebhooks = part('webhooks', () => new PostgresWebhookStore(apiConnection()));
export const apiWebhookDeliveries = part(
  'webhookDeliveries',
  () => new PostgresWebhookDeliveries(apiConnection()),
);
export const apiSecretBox = part('secretBox', () => once(() => createSecretBox(config())));
export const apiResolver = part('resolver', () => new DnsHostResolver());
export const apiWebhookUrlPolicy = part('webhookUrlPolicy', () => ({
  allowLoopback: config().WEBHOOK_ALLOW_LOOPBACK,
}));
export const apiWebhookQueue = part('webhookQueue', () => {
  const url = config().WEBHOOK_QUEUE_URL;
  if (!url) throw new Error('invalid configuration: WEBHOOK_QUEUE_URL: required to send test events');
  return new SqsWebhookQueue({ client: sqsClient(), queueUrl: url });
});
