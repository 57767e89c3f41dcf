import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../api/http.js';
import type { AuditLog } from '../domain/access/audit-log.js';
import { listWebhooks } from '../domain/webhooks/webhook-admin.js';
import type { WebhookStore } from '../domain/webhooks/webhooks.js';
import { apiAudit } from '../wiring/api/database.js';
import { apiWebhooks } from '../wiring/api/webhooks.js';

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
