import type { AuditLog } from '../domain/audit-log.js';
import { listWebhookDeliveries } from '../domain/webhook-admin.js';
import type { WebhookDeliveries, WebhookStore } from '../domain/webhooks.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { apiAudit } from '../shared/api-wiring/database.js';
import { apiWebhookDeliveries, apiWebhooks } from '../shared/api-wiring/webhooks.js';
import { httpHandler, json, parsePath, parseQuery, principalFromEvent } from '../shared/http.js';

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
