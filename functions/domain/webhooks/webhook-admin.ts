import { randomUUID } from 'node:crypto';
import { guard } from '../access/api-guards.js';
import type { AuditLog } from '../access/audit-log.js';
import { assertAdmin, type Principal } from '../access/auth.js';
import { NotFoundError } from '../errors.js';
import type { ExportEventType } from '../notifications/export-events.js';
import {
  type HostResolver,
  parseWebhookUrl,
  resolveWebhookTarget,
  type WebhookUrlPolicy,
} from './webhook-url.js';
import {
  type DeliveryLogEntry,
  generateWebhookSecret,
  type SecretBox,
  TEST_EVENT_TYPE,
  WEBHOOK_EVENT_TYPES,
  type Webhook,
  type WebhookDeliveries,
  type WebhookQueue,
  type WebhookStore,
  webhookPayload,
} from './webhooks.js';

/** A webhook as the API shows it. */
export interface WebhookView {
  readonly id: string;
  readonly url: string;
  readonly events: readonly ExportEventType[];
  readonly description: string | null;
  readonly status: Webhook['status'];
  readonly disabledReason: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
}

/** A delivery as the delivery log shows it. */
export interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: DeliveryLogEntry['status'];
  readonly attempts: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly nextAttemptAt: string | null;
  readonly createdAt: string;
  readonly deliveredAt: string | null;
  readonly attemptLog: readonly {
    readonly attempt: number;
    readonly statusCode: number | null;
    readonly error: string | null;
    readonly durationMs: number;
    readonly attemptedAt: string;
  }[];
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** Webhooks are for admins; a refusal is audited (`denied`). */
const assertWebhookAdmin = (audit: AuditLog, principal: Principal) =>
  guard(audit, principal, { exportType: 'webhooks' }, () => assertAdmin(principal));

/** Shapes a webhook for clients: no secret. */
export function toWebhookView(webhook: Webhook): WebhookView {
  return {
    id: webhook.id,
    url: webhook.url,
    events: webhook.events,
    description: webhook.description,
    status: webhook.status,
    disabledReason: webhook.disabledReason,
    createdBy: webhook.createdBy,
    createdAt: webhook.createdAt.toISOString(),
  };
}

function toDeliveryView(delivery: DeliveryLogEntry): DeliveryView {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    nextAttemptAt: iso(delivery.nextAttemptAt),
    createdAt: delivery.createdAt.toISOString(),
    deliveredAt: iso(delivery.deliveredAt),
    attemptLog: delivery.attemptLog.map((a) => ({
      attempt: a.attempt,
      statusCode: a.statusCode,
      error: a.error,
      durationMs: a.durationMs,
      attemptedAt: a.attemptedAt.toISOString(),
    })),
  };
}

export interface RegisterWebhookDeps {
  readonly webhooks: WebhookStore;
  /** Resolved on first use: only registration seals a secret. */
  readonly secretBox: () => Promise<SecretBox>;
  readonly resolver: HostResolver;
  readonly webhookUrlPolicy: WebhookUrlPolicy;
  readonly audit: AuditLog;
}

export interface RegisterWebhookInput {
  readonly url: string;
  readonly events?: readonly ExportEventType[];
  readonly description?: string;
}

/**
 * `POST /webhooks` (admins): checks the URL (form, then every address its host resolves to; see
 * `resolveWebhookTarget`), generates the signing secret, stores it sealed and returns it: the only
 * time anyone sees it.
 */
export async function registerWebhook(
  deps: RegisterWebhookDeps,
  principal: Principal,
  input: RegisterWebhookInput,
): Promise<WebhookView & { readonly secret: string }> {
  await assertWebhookAdmin(deps.audit, principal);
  const url = parseWebhookUrl(input.url, deps.webhookUrlPolicy);
  await resolveWebhookTarget(url, deps.resolver, deps.webhookUrlPolicy);
  const id = randomUUID();
  const secret = generateWebhookSecret();
  const box = await deps.secretBox();
  const webhook = await deps.webhooks.create({
    id,
    url: url.toString(),
    events: input.events && input.events.length > 0 ? [...new Set(input.events)] : WEBHOOK_EVENT_TYPES,
    description: input.description ?? null,
    secretSealed: await box.seal(secret, id),
    createdBy: principal.userId,
  });
  await deps.audit.record({
    userId: principal.userId,
    exportType: 'webhooks',
    action: 'webhook_registered',
    status: 'ok',
    jobId: null,
    details: { webhookId: id, url: webhook.url, events: webhook.events },
  });
  return { ...toWebhookView(webhook), secret };
}

/** `GET /webhooks` (admins): every webhook, newest first, without secrets. */
export async function listWebhooks(
  deps: Pick<RegisterWebhookDeps, 'webhooks' | 'audit'>,
  principal: Principal,
): Promise<{ webhooks: WebhookView[] }> {
  await assertWebhookAdmin(deps.audit, principal);
  return { webhooks: (await deps.webhooks.list()).map(toWebhookView) };
}

/** `DELETE /webhooks/{id}` (admins): removes it and its delivery log. */
export async function deleteWebhook(
  deps: Pick<RegisterWebhookDeps, 'webhooks' | 'audit'>,
  principal: Principal,
  id: string,
): Promise<void> {
  await assertWebhookAdmin(deps.audit, principal);
  if (!(await deps.webhooks.delete(id))) throw new NotFoundError(`no webhook ${id}`);
  await deps.audit.record({
    userId: principal.userId,
    exportType: 'webhooks',
    action: 'webhook_deleted',
    status: 'ok',
    jobId: null,
    details: { webhookId: id },
  });
}

/** `GET /webhooks/{id}/deliveries` (admins): the newest deliveries, each with its attempts. */
export async function listWebhookDeliveries(
  deps: {
    readonly webhooks: WebhookStore;
    readonly webhookDeliveries: WebhookDeliveries;
    readonly audit: AuditLog;
  },
  principal: Principal,
  id: string,
  limit: number,
): Promise<{ deliveries: DeliveryView[] }> {
  await assertWebhookAdmin(deps.audit, principal);
  if (!(await deps.webhooks.get(id))) throw new NotFoundError(`no webhook ${id}`);
  return { deliveries: (await deps.webhookDeliveries.list(id, limit)).map(toDeliveryView) };
}

/**
 * `POST /webhooks/{id}/test` (admins): a `webhook.test` event to this endpoint only, through the
 * delivery queue like any event (signed, retried, logged). Returns the delivery to watch.
 */
export async function sendTestEvent(
  deps: {
    readonly webhooks: WebhookStore;
    readonly webhookDeliveries: WebhookDeliveries;
    readonly webhookQueue: WebhookQueue;
    readonly audit: AuditLog;
    readonly now: () => Date;
  },
  principal: Principal,
  id: string,
): Promise<{ deliveryId: string; eventId: string }> {
  await assertWebhookAdmin(deps.audit, principal);
  const webhook = await deps.webhooks.get(id);
  if (!webhook) throw new NotFoundError(`no webhook ${id}`);
  const eventId = `evt_test_${randomUUID()}`;
  const payload = webhookPayload(TEST_EVENT_TYPE, deps.now(), {
    webhookId: id,
    message: 'A test event from the data export service.',
  });
  const [deliveryId] = await deps.webhookDeliveries.createFor(
    { eventId, eventType: TEST_EVENT_TYPE, payload },
    [id],
  );
  if (!deliveryId) throw new Error(`test delivery ${eventId} was not created`);
  await deps.webhookQueue.enqueue([deliveryId]);
  return { deliveryId, eventId };
}
