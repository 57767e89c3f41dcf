import { Webhook as StandardWebhook } from 'standardwebhooks';
import { errorDetail } from '../jobs/failure-reasons.js';
import { webhookTypeOf } from '../notifications/export-events.js';
import { SILENT_LOG, type WorkerLog } from '../worker-log.js';
import {
  type HostResolver,
  type ResolvedAddress,
  resolveWebhookTarget,
  type WebhookUrlPolicy,
} from './webhook-url.js';
import {
  type DeliveryStatus,
  type SecretBox,
  type WebhookDeliveries,
  type WebhookQueue,
  type WebhookStore,
  webhookPayload,
} from './webhooks.js';

/** One signed POST to an endpoint, to the address its URL was checked to resolve to. */
export interface WebhookRequest {
  readonly url: URL;
  readonly address: ResolvedAddress;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
}

/** Port: sends one webhook request (node's http/https, connecting to the checked address). */
export interface WebhookTransport {
  /**
   * Resolves with the response status, whatever it is; throws when no response came (timeout,
   * refused connection, TLS failure). Never follows redirects.
   */
  send(request: WebhookRequest): Promise<{ readonly statusCode: number }>;
}

export interface WebhookDeliverySettings {
  /** First retry delay; each next one is 4× longer, at most 12 hours (`WEBHOOK_RETRY_BASE_SECONDS`). */
  readonly retryBaseSeconds: number;
  /** Attempts before the delivery is given up (`WEBHOOK_MAX_ATTEMPTS`, the queue's maxReceiveCount). */
  readonly maxAttempts: number;
  /** @default 10000 */
  readonly timeoutMs?: number;
}

export interface DeliverWebhookDeps {
  readonly webhooks: WebhookStore;
  readonly deliveries: WebhookDeliveries;
  readonly queue: WebhookQueue;
  readonly secrets: () => Promise<SecretBox>;
  readonly resolver: HostResolver;
  readonly transport: WebhookTransport;
  readonly policy: WebhookUrlPolicy;
  readonly settings: WebhookDeliverySettings;
  readonly now?: () => Date;
  readonly log?: WorkerLog;
}

/** SQS's longest visibility timeout: the longest wait between two attempts. */
const MAX_RETRY_DELAY_SECONDS = 12 * 3600;

/**
 * Seconds to wait after failed attempt `attempt` (1-based): `base × 4^(attempt − 1)`, at most 12 h.
 * With the defaults (30 s, 8 attempts): 30 s, 2 min, 8 min, 32 min, 2.1 h, 8.5 h, 12 h, about
 * 23 hours in all before the delivery is given up.
 */
export function retryDelaySeconds(attempt: number, baseSeconds: number): number {
  return Math.min(baseSeconds * 4 ** Math.max(0, attempt - 1), MAX_RETRY_DELAY_SECONDS);
}

/** What became of one attempt; the handler maps `retry` to the message's visibility and `exhausted` to the DLQ. */
export type DeliveryResult =
  | { readonly status: 'delivered' }
  | { readonly status: 'retry'; readonly delaySeconds: number }
  | { readonly status: 'exhausted' }
  | { readonly status: 'gone' }
  | { readonly status: 'skipped'; readonly reason: string };

/** An EventBridge event on the webhook queue, as the rule's SQS target delivers it. */
export interface BusEvent {
  readonly 'detail-type': string;
  readonly detail: { readonly eventId: string; readonly occurredAt?: string } & Record<string, unknown>;
  readonly time: string;
}

/**
 * Fans an export event out: one delivery per active webhook subscribed to its type (an event
 * resent after a crash finds its deliveries and enqueues only those never attempted), each
 * enqueued as its own message so that endpoints are retried independently.
 * @returns how many deliveries were enqueued
 */
export async function fanOutEvent(
  deps: Pick<DeliverWebhookDeps, 'webhooks' | 'deliveries' | 'queue'>,
  event: BusEvent,
): Promise<number> {
  const type = webhookTypeOf(event['detail-type']);
  if (!type) return 0;
  const subscribers = await deps.webhooks.subscribedTo(type);
  if (subscribers.length === 0) return 0;
  const payload = webhookPayload(type, new Date(event.detail.occurredAt ?? event.time), event.detail);
  const pending = await deps.deliveries.createFor(
    { eventId: event.detail.eventId, eventType: type, payload },
    subscribers.map((w) => w.id),
  );
  if (pending.length > 0) await deps.queue.enqueue(pending);
  return pending.length;
}

/**
 * One attempt of one delivery (Standard Webhooks): checks the URL again (DNS may have changed since
 * registration) and connects to the checked address, signs `{id}.{timestamp}.{body}` with the
 * endpoint's secret, POSTs with a 10 s timeout and logs the attempt. 2xx: delivered. 410: the
 * endpoint is disabled. Anything else (or no response) is retried after {@link retryDelaySeconds}
 * until `maxAttempts`, then given up (`exhausted`: the message goes on to the DLQ).
 */
export async function deliverWebhook(
  deps: DeliverWebhookDeps,
  input: { readonly deliveryId: string; readonly attempt: number },
): Promise<DeliveryResult> {
  const log = deps.log ?? SILENT_LOG;
  const now = deps.now ?? (() => new Date());
  const delivery = await deps.deliveries.get(input.deliveryId);
  if (!delivery) return { status: 'skipped', reason: 'no such delivery (its webhook was deleted)' };
  if (['delivered', 'gone', 'dropped', 'failed'].includes(delivery.status)) {
    return { status: 'skipped', reason: `delivery already ${delivery.status}` };
  }
  const webhook = await deps.webhooks.get(delivery.webhookId);
  if (!webhook) return { status: 'skipped', reason: 'webhook deleted' };
  if (webhook.status !== 'active') {
    await deps.deliveries.drop(delivery.id, `webhook ${webhook.status}`);
    return { status: 'skipped', reason: `webhook ${webhook.status}` };
  }

  const attempt = Math.max(input.attempt, delivery.attempts + 1);
  const started = now();
  let statusCode: number | null = null;
  let error: string | null = null;
  try {
    const url = new URL(webhook.url);
    const address = await resolveWebhookTarget(url, deps.resolver, deps.policy);
    const secret = await (await deps.secrets()).open(webhook.secretSealed, webhook.id);
    const timestamp = now();
    const signature = new StandardWebhook(secret).sign(delivery.eventId, timestamp, delivery.payload);
    const response = await deps.transport.send({
      url,
      address,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'data-export-webhooks/1',
        'webhook-id': delivery.eventId,
        'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body: delivery.payload,
      timeoutMs: deps.settings.timeoutMs ?? 10_000,
    });
    statusCode = response.statusCode;
  } catch (thrown) {
    error = errorDetail(thrown).message;
  }
  const durationMs = Math.max(0, now().getTime() - started.getTime());
  const record = (status: DeliveryStatus, nextAttemptAt: Date | null) =>
    deps.deliveries.recordAttempt(
      delivery.id,
      { attempt, statusCode, error, durationMs, attemptedAt: started },
      { status, nextAttemptAt },
    );

  if (statusCode !== null && statusCode >= 200 && statusCode < 300) {
    await record('delivered', null);
    log.info('webhook delivered', { deliveryId: delivery.id, webhookId: webhook.id, attempt, statusCode });
    return { status: 'delivered' };
  }
  if (statusCode === 410) {
    await record('gone', null);
    await deps.webhooks.disable(webhook.id, 'the endpoint answered 410 Gone');
    log.warn('webhook endpoint gone; disabled', { webhookId: webhook.id, deliveryId: delivery.id });
    return { status: 'gone' };
  }
  if (attempt >= deps.settings.maxAttempts) {
    await record('failed', null);
    log.error('webhook delivery given up', {
      deliveryId: delivery.id,
      webhookId: webhook.id,
      attempt,
      statusCode,
      error,
    });
    return { status: 'exhausted' };
  }
  const delaySeconds = retryDelaySeconds(attempt, deps.settings.retryBaseSeconds);
  await record('retrying', new Date(started.getTime() + durationMs + delaySeconds * 1000));
  log.warn('webhook attempt failed; retrying', {
    deliveryId: delivery.id,
    attempt,
    statusCode,
    error,
    delaySeconds,
  });
  return { status: 'retry', delaySeconds };
}
