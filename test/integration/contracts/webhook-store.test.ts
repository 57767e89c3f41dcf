import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresWebhookDeliveries } from '../../../functions/adapters/postgres/postgres-webhook-deliveries.js';
import { PostgresWebhookStore } from '../../../functions/adapters/postgres/postgres-webhook-store.js';
import type {
  NewWebhook,
  WebhookDeliveries,
  WebhookStore,
} from '../../../functions/domain/webhooks/webhooks.js';
import { describeContract } from '../../support/contract-suite.js';
import { createOwnDatabase, type OwnDatabase } from '../../support/own-database.js';
import { InMemoryWebhookDeliveries, InMemoryWebhookStore } from '../../support/webhook-fakes.js';

/**
 * The WebhookStore port, one set of cases run against the in-memory fake the unit and API tests
 * use and against the Postgres adapter, so that the fake cannot quietly behave otherwise.
 */

interface Subject {
  /** The store as the admin routes use it (the API's login). */
  readonly admin: WebhookStore;
  /** The store as the delivery handler uses it (the sweeper's login). */
  readonly delivering: WebhookStore;
  /** The deliveries as the delivery handler uses them: deleting a webhook removes its log. */
  readonly deliveries: WebhookDeliveries;
}

let db: OwnDatabase;
let apiSql: Sql;
let sweeperSql: Sql;

beforeAll(async () => {
  // `list` and `subscribedTo` read every webhook of the table: a database of this file's own.
  db = await createOwnDatabase('webhooks_contract');
  apiSql = db.login('api', { max: 4 });
  sweeperSql = db.login('sweeper', { max: 4 });
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

async function inMemory(): Promise<Subject> {
  const deliveries = new InMemoryWebhookDeliveries();
  const store = new InMemoryWebhookStore(deliveries);
  return { admin: store, delivering: store, deliveries };
}

async function onPostgres(): Promise<Subject> {
  await db.clear();
  return {
    admin: new PostgresWebhookStore(apiSql),
    delivering: new PostgresWebhookStore(sweeperSql),
    deliveries: new PostgresWebhookDeliveries(sweeperSql),
  };
}

function webhook(overrides: Partial<NewWebhook> = {}): NewWebhook {
  return {
    id: randomUUID(),
    url: 'https://hooks.example.com/in',
    events: ['export.completed'],
    description: null,
    secretSealed: 'sealed-secret',
    createdBy: 'admin-1',
    ...overrides,
  };
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

describeContract<Subject>('WebhookStore', { 'in-memory': inMemory, postgres: onPostgres }, (s) => {
  describe('create, get, list', () => {
    it('creates an active webhook and returns it without its secret; get returns the sealed secret', async () => {
      const input = webhook({ events: ['export.completed', 'export.failed'], description: 'billing' });
      const before = Date.now();

      const created = await s.admin.create(input);
      const stored = await s.delivering.get(input.id);

      expect(created).toEqual({
        id: input.id,
        url: input.url,
        events: ['export.completed', 'export.failed'],
        description: 'billing',
        status: 'active',
        disabledReason: null,
        createdBy: 'admin-1',
        createdAt: created.createdAt,
        updatedAt: created.createdAt,
      });
      expect(created).not.toHaveProperty('secretSealed');
      expect(created.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(stored).toEqual({ ...created, secretSealed: 'sealed-secret' });
    });

    it('lists every webhook newest first, active and disabled, without secrets', async () => {
      const first = webhook();
      const second = webhook({ events: ['export.failed'] });
      const third = webhook();
      for (const w of [first, second, third]) {
        await s.admin.create(w);
        await pause();
      }
      await s.delivering.disable(second.id, 'gone');

      const listed = await s.admin.list();

      expect(listed.map((w) => w.id)).toEqual([third.id, second.id, first.id]);
      expect(listed[1]).toMatchObject({ status: 'disabled', disabledReason: 'gone' });
      for (const w of listed) expect(w).not.toHaveProperty('secretSealed');
    });

    it('lists nothing when there are no webhooks', async () => {
      await expect(s.admin.list()).resolves.toEqual([]);
    });

    it('gets null for unknown and malformed ids', async () => {
      await expect(s.admin.get(randomUUID())).resolves.toBeNull();
      await expect(s.admin.get('not-a-uuid')).resolves.toBeNull();
    });
  });

  describe('delete', () => {
    it('deletes once: true, then false; the webhook is gone from get, list and subscribedTo', async () => {
      const kept = webhook();
      const deleted = webhook();
      await s.admin.create(kept);
      await s.admin.create(deleted);

      const first = await s.admin.delete(deleted.id);
      const second = await s.admin.delete(deleted.id);

      expect([first, second]).toEqual([true, false]);
      await expect(s.admin.get(deleted.id)).resolves.toBeNull();
      expect((await s.admin.list()).map((w) => w.id)).toEqual([kept.id]);
      expect((await s.delivering.subscribedTo('export.completed')).map((w) => w.id)).toEqual([kept.id]);
    });

    it('answers false for unknown and malformed ids', async () => {
      await expect(s.admin.delete(randomUUID())).resolves.toBe(false);
      await expect(s.admin.delete('not-a-uuid')).resolves.toBe(false);
    });

    it("removes the webhook's delivery log with it, leaving other webhooks' deliveries", async () => {
      const deleted = webhook();
      const kept = webhook();
      await s.admin.create(deleted);
      await s.admin.create(kept);
      const event = { eventId: 'evt-1', eventType: 'export.completed', payload: '{}' };
      const [gone, stays] = await Promise.all([
        s.deliveries.createFor(event, [deleted.id]),
        s.deliveries.createFor(event, [kept.id]),
      ]);
      await s.deliveries.recordAttempt(
        gone[0]!,
        { attempt: 1, statusCode: 500, error: null, durationMs: 3, attemptedAt: new Date() },
        { status: 'retrying', nextAttemptAt: new Date(Date.now() + 60_000) },
      );

      await s.admin.delete(deleted.id);

      // A queued message for the deleted webhook's delivery then finds nothing to attempt.
      await expect(s.deliveries.get(gone[0]!)).resolves.toBeNull();
      await expect(s.deliveries.list(deleted.id, 10)).resolves.toEqual([]);
      expect((await s.deliveries.get(stays[0]!))?.webhookId).toBe(kept.id);
    });
  });

  describe('disable and subscribedTo', () => {
    it('disables with a reason and a newer updatedAt, keeping it listed and gettable', async () => {
      const input = webhook();
      const created = await s.admin.create(input);
      await pause();

      await s.delivering.disable(input.id, 'the endpoint answered 410 Gone');
      const stored = await s.delivering.get(input.id);

      expect(stored).toMatchObject({
        id: input.id,
        status: 'disabled',
        disabledReason: 'the endpoint answered 410 Gone',
        createdAt: created.createdAt,
      });
      expect(stored!.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
    });

    it('disabling an unknown webhook changes nothing', async () => {
      await s.admin.create(webhook());

      await expect(s.delivering.disable(randomUUID(), 'gone')).resolves.toBeUndefined();
      expect((await s.admin.list()).map((w) => w.status)).toEqual(['active']);
    });

    it('finds the active webhooks subscribed to a type, oldest first, never disabled ones, without secrets', async () => {
      const older = webhook({ events: ['export.completed', 'export.failed'] });
      const other = webhook({ events: ['export.failed'] });
      const disabled = webhook({ events: ['export.completed'] });
      const newer = webhook({ events: ['export.completed'] });
      for (const w of [older, other, disabled, newer]) {
        await s.admin.create(w);
        await pause();
      }
      await s.delivering.disable(disabled.id, 'gone');

      const subscribed = await s.delivering.subscribedTo('export.completed');

      expect(subscribed.map((w) => w.id)).toEqual([older.id, newer.id]);
      for (const w of subscribed) expect(w).not.toHaveProperty('secretSealed');
      expect((await s.delivering.subscribedTo('export.failed')).map((w) => w.id)).toEqual([
        older.id,
        other.id,
      ]);
      await expect(s.delivering.subscribedTo('webhook.test')).resolves.toEqual([]);
    });
  });
});
