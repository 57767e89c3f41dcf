import type { AuditLog } from '../domain/audit-log.js';
import { listWebhooks } from '../domain/webhook-admin.js';
import type { WebhookStore } from '../domain/webhooks.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { apiAudit } from '../shared/api-wiring/database.js';
import { apiWebhooks } from '../shared/api-wiring/webhooks.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.listWebhooks;

type Deps = { readonly webhooks: WebhookStore; readonly audit: AuditLog };

/** `GET /webhooks` (admins): every webhook, newest first, without secrets. */
export function createHandler(deps: () => Deps | Promise<Deps>) {
  return httpHandler('list-webhooks', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    parseQuery(route.query, event);
    return json(200, await listWebhooks(d, principal));
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({ webhooks: apiWebhooks(), audit: apiAudit() }));
