import { DnsHostResolver } from '../../adapters/http/dns-host-resolver.js';
import { PostgresWebhookDeliveries } from '../../adapters/postgres/postgres-webhook-deliveries.js';
import { PostgresWebhookStore } from '../../adapters/postgres/postgres-webhook-store.js';
import { config } from '../../platform/config.js';
import { apiConnection } from './database.js';
import { part } from './provided.js';

export const apiWebhooks = part('webhooks', () => new PostgresWebhookStore(apiConnection()));
export const apiWebhookDeliveries = part(
  'webhookDeliveries',
  () => new PostgresWebhookDeliveries(apiConnection()),
);
export const apiResolver = part('resolver', () => new DnsHostResolver());
export const apiWebhookUrlPolicy = part('webhookUrlPolicy', () => ({
  allowLoopback: config().WEBHOOK_ALLOW_LOOPBACK,
}));
