import type { Sql } from 'postgres';
import type {
  DeliveryAttempt,
  DeliveryLogEntry,
  DeliveryStatus,
  WebhookDeliveries,
  WebhookDelivery,
  WebhookEvent,
} from '../../domain/webhooks/webhooks.js';
import { translatePostgresError } from './errors.js';

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: DeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
  delivered_at: Date | null;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: Date;
}

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    webhookId: row.webhook_id,
    eventId: row.event_id,
    eventType: row.event_type,
    payload: row.payload,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  };
}

const toAttempt = (row: AttemptRow): DeliveryAttempt => ({
  attempt: row.attempt,
  statusCode: row.status_code,
  error: row.error,
  durationMs: row.duration_ms,
  attemptedAt: row.attempted_at,
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The WebhookDeliveries port on `webhook_deliveries` and `webhook_delivery_attempts` (migration 0007). */
export class PostgresWebhookDeliveries implements WebhookDeliveries {
  constructor(private readonly sql: Sql) {}

  createFor(event: WebhookEvent, webhookIds: readonly string[]): Promise<string[]> {
    if (webhookIds.length === 0) return Promise.resolve([]);
    return this.run('creating webhook deliveries', async (sql) => {
      await sql`
        INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, payload)
        SELECT w, ${event.eventId}, ${event.eventType}, ${event.payload}
        FROM unnest(${webhookIds as string[]}::uuid[]) AS w
        ON CONFLICT (webhook_id, event_id) DO NOTHING`;
      const rows = await sql<{ id: string }[]>`
        SELECT id FROM webhook_deliveries
        WHERE event_id = ${event.eventId} AND webhook_id = ANY(${webhookIds as string[]}::uuid[])
          AND status = 'pending' AND attempts = 0
        ORDER BY created_at, id`;
      return rows.map((row) => row.id);
    });
  }

  get(id: string): Promise<WebhookDelivery | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.run('reading a webhook delivery', async (sql) => {
      const [row] = await sql<DeliveryRow[]>`SELECT * FROM webhook_deliveries WHERE id = ${id}`;
      return row ? toDelivery(row) : null;
    });
  }

  recordAttempt(
    id: string,
    attempt: DeliveryAttempt,
    outcome: { readonly status: DeliveryStatus; readonly nextAttemptAt: Date | null },
  ): Promise<void> {
    return this.run('recording a webhook attempt', async (sql) => {
      await sql.begin(async (tx) => {
        await tx`
          INSERT INTO webhook_delivery_attempts (delivery_id, attempt, status_code, error, duration_ms, attempted_at)
          VALUES (${id}, ${attempt.attempt}, ${attempt.statusCode}, ${attempt.error}, ${attempt.durationMs},
                  ${attempt.attemptedAt})`;
        await tx`
          UPDATE webhook_deliveries
          SET status = ${outcome.status}, attempts = greatest(attempts, ${attempt.attempt}),
              last_status_code = ${attempt.statusCode}, last_error = ${attempt.error},
              next_attempt_at = ${outcome.nextAttemptAt},
              delivered_at = CASE WHEN ${outcome.status} = 'delivered' THEN now() ELSE delivered_at END,
              updated_at = now()
          WHERE id = ${id}`;
      });
    });
  }

  drop(id: string, reason: string): Promise<void> {
    return this.run('dropping a webhook delivery', async (sql) => {
      await sql`
        UPDATE webhook_deliveries SET status = 'dropped', last_error = ${reason}, next_attempt_at = NULL,
               updated_at = now()
        WHERE id = ${id} AND status IN ('pending', 'retrying')`;
    });
  }

  list(webhookId: string, limit: number): Promise<DeliveryLogEntry[]> {
    return this.run('listing webhook deliveries', async (sql) => {
      const rows = await sql<DeliveryRow[]>`
        SELECT * FROM webhook_deliveries WHERE webhook_id = ${webhookId}
        ORDER BY created_at DESC, id DESC LIMIT ${limit}`;
      if (rows.length === 0) return [];
      const attempts = await sql<AttemptRow[]>`
        SELECT * FROM webhook_delivery_attempts
        WHERE delivery_id = ANY(${rows.map((r) => r.id)}::uuid[])
        ORDER BY attempted_at DESC, attempt DESC`;
      return rows.map((row) => ({
        ...toDelivery(row),
        attemptLog: attempts.filter((a) => a.delivery_id === row.id).map(toAttempt),
      }));
    });
  }

  private async run<T>(what: string, work: (sql: Sql) => Promise<T>): Promise<T> {
    try {
      return await work(this.sql);
    } catch (error) {
      throw translatePostgresError(error, what);
    }
  }
}
