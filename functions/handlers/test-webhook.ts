import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parsePath, parseQuery, principalFromEvent } from '../api/http.js';
import type { AuditLog } from '../domain/access/audit-log.js';
import { sendTestEvent } from '../domain/webhooks/webhook-admin.js';
import type { WebhookDeliveries, WebhookQueue, WebhookStore } from '../domain/webhooks/webhooks.js';
import { apiAudit } from '../wiring/api/database.js';
import { systemClock } from '../wiring/api/parts.js';
import { apiWebhookQueue } from '../wiring/api/webhook-queue.js';
import { apiWebhookDeliveries, apiWebhooks } from '../wiring/api/webhooks.js';

const route = API_ROUTES.testWebhook;

type Deps = {
  readonly webhooks: WebhookStore;
  readonly audit: AuditLog;
  readonly webhookDeliveries: WebhookDeliveries;
  readonly webhookQueue: WebhookQueue;
  readonly now: () => Date;
};

/** `POST /webhooks/{webhookId}/test` (admins): 202 `{deliveryId, eventId}`; watch it in the delivery log. */
export function createHandler(deps: () => Deps | Promise<Deps>) {
  return httpHandler('test-webhook', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { webhookId } = parsePath(route.pathParams, event);
    parseQuery(route.query, event);
    return json(202, await sendTestEvent(d, principal, webhookId));
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  webhooks: apiWebhooks(),
  audit: apiAudit(),
  webhookDeliveries: apiWebhookDeliveries(),
  webhookQueue: apiWebhookQueue(),
  now: systemClock,
}));
