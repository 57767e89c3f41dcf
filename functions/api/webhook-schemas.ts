import * as z from 'zod/mini';
import { UuidSchema } from '../domain/validation.js';
import { MAX_WEBHOOK_URL_LENGTH } from '../domain/webhooks/webhook-url.js';
import { WEBHOOK_EVENT_TYPES } from '../domain/webhooks/webhooks.js';

/**
 * The request and response schemas of the webhook routes (docs/api.md, docs/events-and-webhooks.md), beside
 * `api-schemas.ts`: handlers validate with these objects and `openapi.ts` documents them.
 */

/** Most deliveries one `GET /webhooks/{id}/deliveries` returns. */
export const MAX_DELIVERY_PAGE = 100;

export const WebhookPath = z.strictObject({ webhookId: UuidSchema });

export const RegisterWebhookBody = z.strictObject({
  url: z
    .string()
    .check(z.minLength(1), z.maxLength(MAX_WEBHOOK_URL_LENGTH), z.describe('https URL of the endpoint')),
  events: z.optional(
    z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .check(z.minLength(1), z.maxLength(WEBHOOK_EVENT_TYPES.length), z.describe('default: every type')),
  ),
  description: z.optional(z.string().check(z.maxLength(500))),
});

export const WebhookSchema = z.object({
  id: UuidSchema,
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
  description: z.nullable(z.string()),
  status: z.enum(['active', 'disabled']),
  disabledReason: z.nullable(z.string()),
  createdBy: z.string(),
  createdAt: z.string(),
});

export const WebhookCreated = z.extend(WebhookSchema, {
  secret: z.string().check(z.describe('the `whsec_…` signing secret: shown this once, store it now')),
});

export const WebhookList = z.object({ webhooks: z.array(WebhookSchema) });

export const DeliveriesQuery = z.strictObject({
  limit: z
    .optional(
      z.pipe(
        z.string().check(z.regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_DELIVERY_PAGE}`)),
        z.pipe(z.transform(Number), z.int().check(z.gte(1), z.lte(MAX_DELIVERY_PAGE))),
      ),
    )
    .check(z.describe(`newest deliveries, 1–${MAX_DELIVERY_PAGE} (default 20)`)),
});

const DeliverySchema = z.object({
  id: UuidSchema,
  eventId: z.string(),
  eventType: z.string(),
  status: z.enum(['pending', 'retrying', 'delivered', 'failed', 'gone', 'dropped']),
  attempts: z.number(),
  lastStatusCode: z.nullable(z.number()),
  lastError: z.nullable(z.string()),
  nextAttemptAt: z.nullable(z.string()),
  createdAt: z.string(),
  deliveredAt: z.nullable(z.string()),
  attemptLog: z.array(
    z.object({
      attempt: z.number(),
      statusCode: z.nullable(z.number()),
      error: z.nullable(z.string()),
      durationMs: z.number(),
      attemptedAt: z.string(),
    }),
  ),
});

export const DeliveryList = z.object({ deliveries: z.array(DeliverySchema) });

export const TestEventAccepted = z.object({ deliveryId: UuidSchema, eventId: z.string() });
