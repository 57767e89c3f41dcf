import type { JSONValue, Sql } from 'postgres';
import type { ExportEventType } from '../../domain/notifications/export-events.js';
import type {
  NewWebhook,
  StoredWebhook,
  Webhook,
  WebhookStatus,
  WebhookStore,
} from '../../domain/webhooks/webhooks.js';
import { translatePostgresError } from './errors.js';

interface WebhookRow {
  id: string;
  url: string;
  events: ExportEventType[];
  description: string | null;
  secret_sealed: string;
  status: WebhookStatus;
  disabled_reason: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

function toWebhook(row: WebhookRow): StoredWebhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    description: row.description,
    secretSealed: row.secret_sealed,
    status: row.status,
    disabledReason: row.disabled_reason,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Drops the sealed secret: what leaves the store for listing. */
function listed({ secretSealed: _, ...webhook }: StoredWebhook): Webhook {
  return webhook;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The WebhookStore port on the `webhooks` table (migration 0007). */
export class PostgresWebhookStore implements WebhookStore {
  constructor(private readonly sql: Sql) {}

  create(webhook: NewWebhook): Promise<Webhook> {
    return this.run('registering a webhook', async (sql) => {
      const [row] = await sql<WebhookRow[]>`
        INSERT INTO webhooks (id, url, events, description, secret_sealed, created_by)
        VALUES (${webhook.id}, ${webhook.url}, ${sql.json(webhook.events as JSONValue)}, ${webhook.description},
                ${webhook.secretSealed}, ${webhook.createdBy})
        RETURNING *`;
      return listed(toWebhook(row!));
    });
  }

  list(): Promise<Webhook[]> {
    return this.run('listing webhooks', async (sql) => {
      const rows = await sql<WebhookRow[]>`SELECT * FROM webhooks ORDER BY created_at DESC, id DESC`;
      return rows.map((row) => listed(toWebhook(row)));
    });
  }

  get(id: string): Promise<StoredWebhook | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.run('reading a webhook', async (sql) => {
      const [row] = await sql<WebhookRow[]>`SELECT * FROM webhooks WHERE id = ${id}`;
      return row ? toWebhook(row) : null;
    });
  }

  delete(id: string): Promise<boolean> {
    if (!UUID.test(id)) return Promise.resolve(false);
    return this.run('deleting a webhook', async (sql) => {
      const rows = await sql`DELETE FROM webhooks WHERE id = ${id} RETURNING id`;
      return rows.length === 1;
    });
  }

  disable(id: string, reason: string): Promise<void> {
    return this.run('disabling a webhook', async (sql) => {
      await sql`
        UPDATE webhooks SET status = 'disabled', disabled_reason = ${reason}, updated_at = now()
        WHERE id = ${id}`;
    });
  }

  subscribedTo(type: string): Promise<Webhook[]> {
    return this.run('reading subscribed webhooks', async (sql) => {
      const rows = await sql<WebhookRow[]>`
        SELECT * FROM webhooks WHERE status = 'active' AND events ? ${type} ORDER BY created_at`;
      return rows.map((row) => listed(toWebhook(row)));
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
