import type { AuditLog } from '../domain/audit-log.js';
import { deleteWebhook } from '../domain/webhook-admin.js';
import type { WebhookStore } from '../domain/webhooks.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { apiAudit } from '../shared/api-wiring/database.js';
import { apiWebhooks } from '../shared/api-wiring/webhooks.js';
import { httpHandler, parsePath, parseQuery, principalFromEvent } from '../shared/http.js';

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
