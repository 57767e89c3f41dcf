import { randomUUID } from 'node:crypto';
import type { HostResolver, ResolvedAddress } from '../../functions/domain/webhooks/webhook-url.js';
import type {
  DeliveryAttempt,
  DeliveryLogEntry,
  DeliveryStatus,
  NewWebhook,
  SecretBox,
  StoredWebhook,
  Webhook,
  WebhookDeliveries,
  WebhookDelivery,
  WebhookEvent,
  WebhookQueue,
  WebhookStore,
} from '../../functions/domain/webhooks/webhooks.js';

const listed = ({ secretSealed: _, ...webhook }: StoredWebhook): Webhook => webhook;

/**
 * WebhookStore in memory, as `PostgresWebhookStore` over `webhooks`. Given the deliveries, deleting
 * a webhook removes its delivery log with it, as the table's `ON DELETE CASCADE` does.
 */
export class InMemoryWebhookStore implements WebhookStore {
  readonly rows = new Map<string, StoredWebhook>();
  constructor(private readonly deliveries?: InMemoryWebhookDeliveries) {}
  async create(webhook: NewWebhook): Promise<Webhook> {
    const now = new Date();
    const row: StoredWebhook = {
      ...webhook,
      status: 'active',
      disabledReason: null,
      createdAt: now,
      updatedAt: now,
    };
    this.rows.set(row.id, row);
    return listed(row);
  }
  async list(): Promise<Webhook[]> {
    return [...this.rows.values()].reverse().map(listed);
  }
  async get(id: string): Promise<StoredWebhook | null> {
    return this.rows.get(id) ?? null;
  }
  async delete(id: string): Promise<boolean> {
    if (!this.rows.delete(id)) return false;
    this.deliveries?.removeWebhook(id);
    return true;
  }
  async disable(id: string, reason: string): Promise<void> {
    const row = this.rows.get(id);
    if (row) this.rows.set(id, { ...row, status: 'disabled', disabledReason: reason, updatedAt: new Date() });
  }
  async subscribedTo(type: string): Promise<Webhook[]> {
    return [...this.rows.values()]
      .filter((w) => w.status === 'active' && (w.events as readonly string[]).includes(type))
      .map(listed);
  }
}

/** WebhookDeliveries in memory, as `PostgresWebhookDeliveries`. */
export class InMemoryWebhookDeliveries implements WebhookDeliveries {
  readonly rows = new Map<string, WebhookDelivery>();
  readonly attempts = new Map<string, DeliveryAttempt[]>();
  async createFor(event: WebhookEvent, webhookIds: readonly string[]): Promise<string[]> {
    const pending: string[] = [];
    for (const webhookId of webhookIds) {
      let row = [...this.rows.values()].find((d) => d.webhookId === webhookId && d.eventId === event.eventId);
      if (!row) {
        row = {
          id: randomUUID(),
          webhookId,
          ...event,
          status: 'pending',
          attempts: 0,
          lastStatusCode: null,
          lastError: null,
          nextAttemptAt: null,
          createdAt: new Date(),
          deliveredAt: null,
        };
        this.rows.set(row.id, row);
      }
      if (row.status === 'pending' && row.attempts === 0) pending.push(row.id);
    }
    return pending;
  }
  async get(id: string): Promise<WebhookDelivery | null> {
    return this.rows.get(id) ?? null;
  }
  async recordAttempt(
    id: string,
    attempt: DeliveryAttempt,
    outcome: { status: DeliveryStatus; nextAttemptAt: Date | null },
  ): Promise<void> {
    const row = this.rows.get(id)!;
    // Newest first, as the adapter orders them: by attempt time, then attempt number.
    const log = [attempt, ...(this.attempts.get(id) ?? [])].sort(
      (a, b) => b.attemptedAt.getTime() - a.attemptedAt.getTime() || b.attempt - a.attempt,
    );
    this.attempts.set(id, log);
    this.rows.set(id, {
      ...row,
      status: outcome.status,
      attempts: Math.max(row.attempts, attempt.attempt),
      lastStatusCode: attempt.statusCode,
      lastError: attempt.error,
      nextAttemptAt: outcome.nextAttemptAt,
      deliveredAt: outcome.status === 'delivered' ? new Date() : row.deliveredAt,
    });
  }
  async drop(id: string, reason: string): Promise<void> {
    const row = this.rows.get(id);
    if (row && (row.status === 'pending' || row.status === 'retrying'))
      this.rows.set(id, { ...row, status: 'dropped', lastError: reason, nextAttemptAt: null });
  }
  /** What deleting the webhook does to its deliveries and their attempts. */
  removeWebhook(webhookId: string): void {
    for (const [id, row] of this.rows) {
      if (row.webhookId !== webhookId) continue;
      this.rows.delete(id);
      this.attempts.delete(id);
    }
  }
  async list(webhookId: string, limit: number): Promise<DeliveryLogEntry[]> {
    return [...this.rows.values()]
      .filter((d) => d.webhookId === webhookId)
      .reverse()
      .slice(0, limit)
      .map((d) => ({ ...d, attemptLog: this.attempts.get(d.id) ?? [] }));
  }
}

/** A WebhookQueue that records the delivery ids it was given. */
export class RecordingWebhookQueue implements WebhookQueue {
  readonly deliveryIds: string[] = [];
  async enqueue(ids: readonly string[]): Promise<void> {
    this.deliveryIds.push(...ids);
  }
}

/** A SecretBox that seals by tagging (the AES-GCM box is tested on its own). */
export class PlainSecretBox implements SecretBox {
  async seal(plain: string, context: string): Promise<string> {
    return `${context}:${plain}`;
  }
  async open(sealed: string, context: string): Promise<string> {
    if (!sealed.startsWith(`${context}:`)) throw new Error('sealed for another context');
    return sealed.slice(context.length + 1);
  }
}

/** A HostResolver with fixed answers: `hosts` maps names to addresses; others do not resolve. */
export class FixedResolver implements HostResolver {
  constructor(private readonly hosts: Readonly<Record<string, readonly ResolvedAddress[]>> = {}) {}
  async resolve(hostname: string): Promise<readonly ResolvedAddress[]> {
    return this.hosts[hostname] ?? [];
  }
}
