import { API_BASE_PATH, API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parseBody, parseQuery, principalFromEvent } from '../api/http.js';
import { type RegisterWebhookDeps, registerWebhook } from '../domain/webhooks/webhook-admin.js';
import { apiAudit } from '../wiring/api/database.js';
import { apiSetting } from '../wiring/api/parts.js';
import { apiSecretBox } from '../wiring/api/webhook-key.js';
import { apiResolver, apiWebhooks, apiWebhookUrlPolicy } from '../wiring/api/webhooks.js';

const route = API_ROUTES.registerWebhook;

/** `POST /webhooks` `{url, events?, description?}` (admins): 201 with the `whsec_…` secret, shown once. */
export function createHandler(
  deps: () =>
    | (RegisterWebhookDeps & { readonly maxBodyBytes: number })
    | Promise<RegisterWebhookDeps & { readonly maxBodyBytes: number }>,
) {
  return httpHandler('register-webhook', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    parseQuery(route.query, event);
    const body = parseBody(route.body, event, d.maxBodyBytes);
    const created = await registerWebhook(d, principal, {
      url: body.url,
      ...(body.events !== undefined && { events: body.events }),
      ...(body.description !== undefined && { description: body.description }),
    });
    return json(201, created, { Location: `${API_BASE_PATH}/webhooks/${created.id}` });
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  webhooks: apiWebhooks(),
  secretBox: apiSecretBox(),
  resolver: apiResolver(),
  webhookUrlPolicy: apiWebhookUrlPolicy(),
  audit: apiAudit(),
  maxBodyBytes: apiSetting('maxBodyBytes'),
}));
