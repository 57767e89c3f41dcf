import { DnsHostResolver } from '../../adapters/http/dns-host-resolver.js';
import { PostgresWebhookDeliveries } from '../../adapters/postgres/postgres-webhook-deliveries.js';
import { PostgresWebhookStore } from '../../adapters/postgres/postgres-webhook-store.js';
import { config } from '../../platform/config.js';
import { once } from '../../platform/once.js';
import { apiConnection } from './database.js';

export const apiWebhooks = once(() => new PostgresWebhookStore(apiConnection()));
export const apiWebhookDeliveries = once(() => new PostgresWebhookDeliveries(apiConnection()));
export const apiResolver = once(() => new DnsHostResolver());
export const apiWebhookUrlPolicy = once(() => ({
  allowLoopback: config().WEBHOOK_ALLOW_LOOPBACK,
}));
