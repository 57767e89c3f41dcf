import type { AuditLog } from '../domain/audit-log.js';
import { sendTestEvent } from '../domain/webhook-admin.js';
import type { WebhookDeliveries, WebhookQueue, WebhookStore } from '../domain/webhooks.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { apiAudit } from '../shared/api-wiring/database.js';
import { apiClock } from '../shared/api-wiring/provided.js';
import { apiWebhookQueue } from '../shared/api-wiring/webhook-queue.js';
import { apiWebhookDeliveries, apiWebhooks } from '../shared/api-wiring/webhooks.js';
import { httpHandler, json, parsePath, parseQuery, principalFromEvent } from '../shared/http.js';

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
  now: apiClock(),
}));
