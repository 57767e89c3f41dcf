import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parsePath, parseQuery, principalFromEvent } from '../api/http.js';
import type { AuditLog } from '../domain/access/audit-log.js';
import { listWebhookDeliveries } from '../domain/webhooks/webhook-admin.js';
import type { WebhookDeliveries, WebhookStore } from '../domain/webhooks/webhooks.js';
import { apiAudit } from '../wiring/api/database.js';
import { apiWebhookDeliveries, apiWebhooks } from '../wiring/api/webhooks.js';

const route = API_ROUTES.listWebhookDeliveries;

type Deps = {
  readonly webhooks: WebhookStore;
  readonly webhookDeliveries: WebhookDeliveries;
  readonly audit: AuditLog;
};

/** `GET /webhooks/{webhookId}/deliveries?limit=` (admins): the delivery log, newest first. */
export function createHandler(deps: () => Deps | Promise<Deps>) {
  return httpHandler('list-webhook-deliveries', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { webhookId } = parsePath(route.pathParams, event);
    const { limit } = parseQuery(route.query, event);
    return json(200, await listWebhookDeliveries(d, principal, webhookId, limit ?? 20));
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  webhooks: apiWebhooks(),
  audit: apiAudit(),
  webhookDeliveries: apiWebhookDeliveries(),
}));
