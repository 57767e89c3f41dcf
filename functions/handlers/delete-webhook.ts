import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, parsePath, parseQuery, principalFromEvent } from '../api/http.js';
import type { AuditLog } from '../domain/access/audit-log.js';
import { deleteWebhook } from '../domain/webhooks/webhook-admin.js';
import type { WebhookStore } from '../domain/webhooks/webhooks.js';
import { apiAudit } from '../wiring/api/database.js';
import { apiWebhooks } from '../wiring/api/webhooks.js';

const route = API_ROUTES.deleteWebhook;

type Deps = { readonly webhooks: WebhookStore; readonly audit: AuditLog };

/** `DELETE /webhooks/{webhookId}` (admins): 204, or 404 when there is no such webhook. */
export function createHandler(deps: () => Deps | Promise<Deps>) {
  return httpHandler('delete-webhook', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { webhookId } = parsePath(route.pathParams, event);
    parseQuery(route.query, event);
    await deleteWebhook(d, principal, webhookId);
    return { statusCode: 204, headers: { 'Cache-Control': 'no-store' }, body: '' };
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({ webhooks: apiWebhooks(), audit: apiAudit() }));
