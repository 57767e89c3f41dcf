import { randomBytes } from 'node:crypto';
import { EXPORT_EVENT_TYPES, type ExportEventType } from '../notifications/export-events.js';

/** The event types a webhook may subscribe to (docs/events-and-webhooks.md). */
export const WEBHOOK_EVENT_TYPES = Object.values(EXPORT_EVENT_TYPES).map((t) => t.type) as [
  ExportEventType,
  ...ExportEventType[],
];

/** The type of the test event `POST /webhooks/{id}/test` sends. */
export const TEST_EVENT_TYPE = 'webhook.test';

export type WebhookStatus = 'active' | 'disabled';

/** A registered endpoint, as the API lists it (never its secret). */
export interface Webhook {
  readonly id: string;
  readonly url: string;
  readonly events: readonly ExportEventType[];
  readonly description: string | null;
  readonly status: WebhookStatus;
  /** Why it was disabled (e.g. the endpoint answered 410 Gone). */
  readonly disabledReason: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A webhook with its sealed signing secret, for the delivery only. */
export interface StoredWebhook extends Webhook {
  readonly secretSealed: string;
}

export interface NewWebhook {
  readonly id: string;
  readonly url: string;
  readonly events: readonly ExportEventType[];
  readonly description: string | null;
  readonly secretSealed: string;
  readonly createdBy: string;
}

/** Port: the registered webhooks (`webhooks` table). */
export interface WebhookStore {
  create(webhook: NewWebhook): Promise<Webhook>;
  /** Newest first. */
  list(): Promise<Webhook[]>;
  get(id: string): Promise<StoredWebhook | null>;
  /** Removes the webhook and its delivery log; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Stops deliveries to it (a 410 from the endpoint). */
  disable(id: string, reason: string): Promise<void>;
  /** Active webhooks subscribed to `type`. */
  subscribedTo(type: string): Promise<Webhook[]>;
}

export type DeliveryStatus = 'pending' | 'retrying' | 'delivered' | 'failed' | 'gone' | 'dropped';

/** One event to one endpoint. The payload is kept, so every attempt signs the same body. */
export interface WebhookDelivery {
  readonly id: string;
  readonly webhookId: string;
  /** The event id: every attempt's `webhook-id`. */
  readonly eventId: string;
  readonly eventType: string;
  /** The JSON body `{type, timestamp, data}`. */
  readonly payload: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly nextAttemptAt: Date | null;
  readonly createdAt: Date;
  readonly deliveredAt: Date | null;
}

/** One attempt, as the delivery log shows it. */
export interface DeliveryAttempt {
  readonly attempt: number;
  /** The endpoint's HTTP status; null when no response came (timeout, refused connection, refused address). */
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  readonly attemptedAt: Date;
}

/** A delivery with its attempts, newest attempt first. */
export interface DeliveryLogEntry extends WebhookDelivery {
  readonly attemptLog: readonly DeliveryAttempt[];
}

/** An event to deliver: its id, type and JSON body. */
export interface WebhookEvent {
  readonly eventId: string;
  readonly eventType: string;
  readonly payload: string;
}

/** Port: deliveries and their attempts (`webhook_deliveries`, `webhook_delivery_attempts`). */
export interface WebhookDeliveries {
  /**
   * Creates one delivery of `event` per webhook unless it exists (unique on webhook and event id,
   * so a resent event finds its delivery), and returns the ids of those still `pending` (created
   * now, or created earlier and never attempted): what to enqueue.
   */
  createFor(event: WebhookEvent, webhookIds: readonly string[]): Promise<string[]>;
  get(id: string): Promise<WebhookDelivery | null>;
  /** Appends the attempt to the log and sets the delivery's status, attempts and last response. */
  recordAttempt(
    id: string,
    attempt: DeliveryAttempt,
    outcome: { readonly status: DeliveryStatus; readonly nextAttemptAt: Date | null },
  ): Promise<void>;
  /** Marks a delivery that cannot be attempted (its webhook was disabled). */
  drop(id: string, reason: string): Promise<void>;
  /** A webhook's deliveries, newest first, each with its attempts. */
  list(webhookId: string, limit: number): Promise<DeliveryLogEntry[]>;
}

/** Port: the webhook delivery queue (SQS): one message `{deliveryId}` per delivery to attempt. */
export interface WebhookQueue {
  enqueue(deliveryIds: readonly string[]): Promise<void>;
}

/**
 * Port: seals webhook signing secrets at rest (AES-256-GCM under the service's webhook key).
 * `context` (the webhook id) is bound to the ciphertext, so a sealed secret copied onto another
 * webhook row does not open.
 */
export interface SecretBox {
  seal(plain: string, context: string): Promise<string>;
  open(sealed: string, context: string): Promise<string>;
}

/**
 * A new signing secret in the Standard Webhooks form: `whsec_` and the base64 of 32 random bytes
 * (the spec allows 24 to 64).
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The Standard Webhooks body of an event: `{type, timestamp, data}`. */
export function webhookPayload(type: string, timestamp: Date, data: unknown): string {
  return JSON.stringify({ type, timestamp: timestamp.toISOString(), data });
}
