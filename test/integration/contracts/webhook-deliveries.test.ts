import { randomUUID } from 'node:crypto';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresWebhookDeliveries } from '../../../functions/adapters/postgres/postgres-webhook-deliveries.js';
import { PostgresWebhookStore } from '../../../functions/adapters/postgres/postgres-webhook-store.js';
import type {
  DeliveryAttempt,
  WebhookDeliveries,
  WebhookEvent,
  WebhookStore,
} from '../../../functions/domain/webhooks/webhooks.js';
import { describeContract } from '../../support/contract-suite.js';
import { createOwnDatabase, type OwnDatabase } from '../../support/own-database.js';
import { InMemoryWebhookDeliveries, InMemoryWebhookStore } from '../../support/webhook-fakes.js';

/**
 * The WebhookDeliveries port, one set of cases run against the in-memory fake the unit and API
 * tests use and against the Postgres adapter, so that the fake cannot quietly behave otherwise.
 */

interface Subject {
  /** As the delivery handler uses them (the sweeper's login). */
  readonly deliveries: WebhookDeliveries;
  /** As the delivery log route reads them (the API's login). */
  readonly log: WebhookDeliveries;
  /** Registers a webhook (deliveries belong to one) and returns its id. */
  webhook(): Promise<string>;
}

let db: OwnDatabase;
let apiSql: Sql;
let sweeperSql: Sql;

beforeAll(async () => {
  db = await createOwnDatabase('deliveries_contract');
  apiSql = db.login('api', { max: 4 });
  sweeperSql = db.login('sweeper', { max: 8 });
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

const registering = (store: WebhookStore) => async () => {
  const id = randomUUID();
  await store.create({
    id,
    url: 'https://hooks.example.com/in',
    events: ['export.completed'],
    description: null,
    secretSealed: 'sealed',
    createdBy: 'admin-1',
  });
  return id;
};

async function inMemory(): Promise<Subject> {
  const deliveries = new InMemoryWebhookDeliveries();
  return { deliveries, log: deliveries, webhook: registering(new InMemoryWebhookStore(deliveries)) };
}

async function onPostgres(): Promise<Subject> {
  await db.clear();
  return {
    deliveries: new PostgresWebhookDeliveries(sweeperSql),
    log: new PostgresWebhookDeliveries(apiSql),
    webhook: registering(new PostgresWebhookStore(apiSql)),
  };
}

function event(overrides: Partial<WebhookEvent> = {}): WebhookEvent {
  return {
    eventId: `evt_${randomUUID()}`,
    eventType: 'export.completed',
    payload: '{"type":"export.completed","timestamp":"2026-01-01T00:00:00.000Z","data":{}}',
    ...overrides,
  };
}

const at = (ms: number) => new Date(Math.floor(Date.now() / 1000) * 1000 - ms);

function attempt(n: number, overrides: Partial<DeliveryAttempt> = {}): DeliveryAttempt {
  return {
    attempt: n,
    statusCode: 500,
    error: null,
    durationMs: 12,
    attemptedAt: at(60_000 - n * 1000),
    ...overrides,
  };
}

const sorted = (ids: readonly string[]) => [...ids].sort();
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

describeContract<Subject>('WebhookDeliveries', { 'in-memory': inMemory, postgres: onPostgres }, (s) => {
  describe('createFor', () => {
    it('creates one pending delivery per webhook and returns their ids', async () => {
      const [a, b] = [await s.webhook(), await s.webhook()];
      const e = event();
      const before = Date.now();

      const ids = await s.deliveries.createFor(e, [a, b]);

      expect(ids).toHaveLength(2);
      const stored = await Promise.all(ids.map((id) => s.deliveries.get(id)));
      expect(sorted(stored.map((d) => d!.webhookId))).toEqual(sorted([a, b]));
      for (const d of stored) {
        expect(d).toEqual({
          id: d!.id,
          webhookId: d!.webhookId,
          eventId: e.eventId,
          eventType: e.eventType,
          payload: e.payload,
          status: 'pending',
          attempts: 0,
          lastStatusCode: null,
          lastError: null,
          nextAttemptAt: null,
          createdAt: d!.createdAt,
          deliveredAt: null,
        });
        expect(d!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      }
    });

    it('creates nothing for no webhooks', async () => {
      await expect(s.deliveries.createFor(event(), [])).resolves.toEqual([]);
    });

    it('keeps one delivery per webhook and event id: a resent event finds it, still pending, until attempted', async () => {
      const hook = await s.webhook();
      const e = event();
      const [first] = await s.deliveries.createFor(e, [hook]);

      const resent = await s.deliveries.createFor({ ...e, payload: '{"other":true}' }, [hook]);
      await s.deliveries.recordAttempt(first!, attempt(1), { status: 'retrying', nextAttemptAt: new Date() });
      const afterAttempt = await s.deliveries.createFor(e, [hook]);

      expect(resent).toEqual([first]);
      expect(afterAttempt).toEqual([]);
      const log = await s.log.list(hook, 10);
      expect(log.map((d) => d.id)).toEqual([first]);
      // The first payload stays: every attempt signs the same body.
      expect(log[0]!.payload).toBe(e.payload);
    });

    it('creates one delivery however many resends race', async () => {
      const hook = await s.webhook();
      const e = event();

      const answers = await Promise.all(Array.from({ length: 6 }, () => s.deliveries.createFor(e, [hook])));

      expect(new Set(answers.flat()).size).toBe(1);
      expect(await s.log.list(hook, 10)).toHaveLength(1);
    });

    it('returns only the still pending ones when some webhooks already have the delivery', async () => {
      const [a, b] = [await s.webhook(), await s.webhook()];
      const e = event();
      const [forA] = await s.deliveries.createFor(e, [a]);
      await s.deliveries.recordAttempt(forA!, attempt(1, { statusCode: 200 }), {
        status: 'delivered',
        nextAttemptAt: null,
      });

      const ids = await s.deliveries.createFor(e, [a, b]);

      expect(ids).toHaveLength(1);
      expect((await s.deliveries.get(ids[0]!))?.webhookId).toBe(b);
    });

    it('keeps deliveries of different events to one webhook apart', async () => {
      const hook = await s.webhook();

      const [one] = await s.deliveries.createFor(event(), [hook]);
      const [two] = await s.deliveries.createFor(event(), [hook]);

      expect(one).not.toBe(two);
    });
  });

  describe('get', () => {
    it('gets null for unknown and malformed ids', async () => {
      await expect(s.deliveries.get(randomUUID())).resolves.toBeNull();
      await expect(s.deliveries.get('not-a-uuid')).resolves.toBeNull();
    });
  });

  describe('recordAttempt', () => {
    it('logs each attempt and sets the status, attempts and last response; retrying keeps the next attempt time', async () => {
      const hook = await s.webhook();
      const [id] = await s.deliveries.createFor(event(), [hook]);
      const next = new Date(Date.now() + 30_000);

      await s.deliveries.recordAttempt(id!, attempt(1, { statusCode: null, error: 'timed out' }), {
        status: 'retrying',
        nextAttemptAt: next,
      });
      const retrying = await s.deliveries.get(id!);

      expect(retrying).toMatchObject({
        status: 'retrying',
        attempts: 1,
        lastStatusCode: null,
        lastError: 'timed out',
        nextAttemptAt: next,
        deliveredAt: null,
      });
    });

    it('delivered: sets deliveredAt, clears the next attempt and the last error', async () => {
      const hook = await s.webhook();
      const [id] = await s.deliveries.createFor(event(), [hook]);
      await s.deliveries.recordAttempt(id!, attempt(1, { statusCode: null, error: 'refused' }), {
        status: 'retrying',
        nextAttemptAt: new Date(),
      });
      const before = Date.now();

      await s.deliveries.recordAttempt(id!, attempt(2, { statusCode: 204 }), {
        status: 'delivered',
        nextAttemptAt: null,
      });
      const delivered = await s.deliveries.get(id!);

      expect(delivered).toMatchObject({
        status: 'delivered',
        attempts: 2,
        lastStatusCode: 204,
        lastError: null,
        nextAttemptAt: null,
      });
      expect(delivered!.deliveredAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    });

    it.each(['gone', 'failed'] as const)('%s: final, with no delivery time', async (status) => {
      const hook = await s.webhook();
      const [id] = await s.deliveries.createFor(event(), [hook]);

      await s.deliveries.recordAttempt(id!, attempt(3, { statusCode: status === 'gone' ? 410 : 502 }), {
        status,
        nextAttemptAt: null,
      });

      expect(await s.deliveries.get(id!)).toMatchObject({
        status,
        attempts: 3,
        lastStatusCode: status === 'gone' ? 410 : 502,
        nextAttemptAt: null,
        deliveredAt: null,
      });
    });

    it('never lowers the attempt count (a late message of an earlier attempt)', async () => {
      const hook = await s.webhook();
      const [id] = await s.deliveries.createFor(event(), [hook]);
      await s.deliveries.recordAttempt(id!, attempt(3), { status: 'retrying', nextAttemptAt: new Date() });

      await s.deliveries.recordAttempt(id!, attempt(2), { status: 'retrying', nextAttemptAt: new Date() });

      expect((await s.deliveries.get(id!))?.attempts).toBe(3);
    });

    it('fails for an unknown delivery', async () => {
      await expect(
        s.deliveries.recordAttempt(randomUUID(), attempt(1), { status: 'retrying', nextAttemptAt: null }),
      ).rejects.toThrow();
    });
  });

  describe('drop', () => {
    it.each(['pending', 'retrying'] as const)(
      'drops a %s delivery with the reason, clearing the next attempt',
      async (from) => {
        const hook = await s.webhook();
        const [id] = await s.deliveries.createFor(event(), [hook]);
        if (from === 'retrying')
          await s.deliveries.recordAttempt(id!, attempt(1), {
            status: 'retrying',
            nextAttemptAt: new Date(),
          });

        await s.deliveries.drop(id!, 'webhook disabled');

        expect(await s.deliveries.get(id!)).toMatchObject({
          status: 'dropped',
          lastError: 'webhook disabled',
          nextAttemptAt: null,
        });
        // Never enqueued again for a resent event.
        const delivery = await s.deliveries.get(id!);
        await expect(
          s.deliveries.createFor(
            { eventId: delivery!.eventId, eventType: delivery!.eventType, payload: delivery!.payload },
            [hook],
          ),
        ).resolves.toEqual([]);
      },
    );

    it.each(['delivered', 'gone', 'failed'] as const)('leaves a %s delivery as it was', async (status) => {
      const hook = await s.webhook();
      const [id] = await s.deliveries.createFor(event(), [hook]);
      await s.deliveries.recordAttempt(id!, attempt(1, { statusCode: 200 }), { status, nextAttemptAt: null });
      const before = await s.deliveries.get(id!);

      await s.deliveries.drop(id!, 'webhook disabled');

      expect(await s.deliveries.get(id!)).toEqual(before);
    });

    it('drops nothing for an unknown delivery', async () => {
      await expect(s.deliveries.drop(randomUUID(), 'webhook disabled')).resolves.toBeUndefined();
    });
  });

  describe('list', () => {
    it("lists one webhook's deliveries newest first, at most `limit`, each with its attempts newest first", async () => {
      const hook = await s.webhook();
      const other = await s.webhook();
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) {
        const e = event();
        ids.push((await s.deliveries.createFor(e, [hook]))[0]!);
        await s.deliveries.createFor(e, [other]);
        await pause();
      }
      const first = attempt(1, { statusCode: null, error: 'timed out' });
      const second = attempt(2, { statusCode: 503 });
      const third = attempt(3, { statusCode: 200 });
      await s.deliveries.recordAttempt(ids[3]!, first, { status: 'retrying', nextAttemptAt: new Date() });
      await s.deliveries.recordAttempt(ids[3]!, second, { status: 'retrying', nextAttemptAt: new Date() });
      await s.deliveries.recordAttempt(ids[3]!, third, { status: 'delivered', nextAttemptAt: null });

      const log = await s.log.list(hook, 3);

      expect(log.map((d) => d.id)).toEqual([ids[3], ids[2], ids[1]]);
      expect(log[0]!.attemptLog).toEqual([third, second, first]);
      expect(log[0]).toEqual({ ...(await s.deliveries.get(ids[3]!)), attemptLog: [third, second, first] });
      expect(log[1]!.attemptLog).toEqual([]);
      expect(log.every((d) => d.webhookId === hook)).toBe(true);
    });

    it('orders attempts by when they were made, newest first, whatever the order they were recorded in', async () => {
      const hook = await s.webhook();
      const [id] = await s.deliveries.createFor(event(), [hook]);
      const early = attempt(1, { attemptedAt: at(20_000) });
      const late = attempt(2, { attemptedAt: at(10_000) });
      await s.deliveries.recordAttempt(id!, late, { status: 'retrying', nextAttemptAt: new Date() });
      await s.deliveries.recordAttempt(id!, early, { status: 'retrying', nextAttemptAt: new Date() });

      const [entry] = await s.log.list(hook, 10);

      expect(entry!.attemptLog).toEqual([late, early]);
    });

    it('lists nothing for a webhook without deliveries', async () => {
      await expect(s.log.list(await s.webhook(), 10)).resolves.toEqual([]);
    });
  });
});
