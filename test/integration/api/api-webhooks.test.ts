import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmSecretBox } from '../../../functions/adapters/crypto/aes-gcm-secret-box.js';
import { bearerToken, bodyOf } from '../../support/api-events.js';
import { type ApiHarness, startApiHarness, TEST_WEBHOOK_SECRET_KEY } from '../../support/api-harness.js';
import { FixedResolver } from '../../support/webhook-fakes.js';

/** The webhook routes as deployed in AWS (no loopback, https only), on the real Postgres and SQS. */

let api: ApiHarness;
let admin: string;

beforeAll(async () => {
  api = await startApiHarness({
    webhookAllowLoopback: false,
    resolver: new FixedResolver({
      'hooks.example.com': [{ address: '93.184.215.14', family: 4 }],
      'rebind.example.com': [{ address: '10.0.0.7', family: 4 }],
    }),
  });
  admin = await bearerToken(randomUUID(), { admin: true });
});

afterAll(async () => {
  if (api) await api.sql`DELETE FROM webhooks`;
  await api?.close();
});

const register = (body: unknown) => api.call('registerWebhook', { token: admin, body });

describe('POST /webhooks in AWS mode', () => {
  it.each([
    'https://169.254.169.254/latest/meta-data/',
    'https://10.0.0.1/hook',
    'https://[fd00:ec2::254]/hook',
    'https://rebind.example.com/hook',
    'http://hooks.example.com/hook',
    'https://127.0.0.1/hook',
  ])('refuses %s with 400 naming url', async (url) => {
    const response = await register({ url });

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({
      error: { code: 'validation_failed', details: [{ field: 'url' }] },
    });
  });

  it('refuses an unknown event type with 400 naming it', async () => {
    const response = await register({ url: 'https://hooks.example.com/in', events: ['export.started'] });

    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: { details: [{ field: 'events[0]' }] } });
  });

  it('registers a public https endpoint, shows the secret once and stores it only sealed', async () => {
    const created = await register({ url: 'https://hooks.example.com/in', description: 'billing' });
    const body = bodyOf(created) as { id: string; secret: string };
    const list = await api.call('listWebhooks', { token: admin });
    const [row] = await api.sql<
      { secret_sealed: string }[]
    >`SELECT secret_sealed FROM webhooks WHERE id = ${body.id}`;

    expect(created.statusCode).toBe(201);
    expect(body.secret).toMatch(/^whsec_/);
    expect(JSON.stringify(bodyOf(list))).not.toContain(body.secret.slice(6));
    expect(row?.secret_sealed).not.toContain(body.secret.slice(6));
    const box = new AesGcmSecretBox(TEST_WEBHOOK_SECRET_KEY);
    await expect(box.open(row!.secret_sealed, body.id)).resolves.toBe(body.secret);
    // Bound to its webhook: the sealed secret copied onto another row does not open.
    await expect(box.open(row!.secret_sealed, randomUUID())).rejects.toThrow();
  });

  it('deletes a webhook with its delivery log, then answers 404', async () => {
    const { id } = bodyOf(await register({ url: 'https://hooks.example.com/gone' })) as { id: string };
    const test = await api.call('testWebhook', { token: admin, pathParameters: { webhookId: id } });
    const log = await api.call('listWebhookDeliveries', { token: admin, pathParameters: { webhookId: id } });

    const removed = await api.call('deleteWebhook', { token: admin, pathParameters: { webhookId: id } });
    const again = await api.call('deleteWebhook', { token: admin, pathParameters: { webhookId: id } });
    const logAfter = await api.call('listWebhookDeliveries', {
      token: admin,
      pathParameters: { webhookId: id },
    });

    expect(test.statusCode).toBe(202);
    expect((bodyOf(log) as { deliveries: { eventType: string; status: string }[] }).deliveries).toEqual([
      expect.objectContaining({ eventType: 'webhook.test', status: 'pending' }),
    ]);
    expect(removed.statusCode).toBe(204);
    expect(again.statusCode).toBe(404);
    expect(logAfter.statusCode).toBe(404);
    const [{ n }] =
      (await api.sql`SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = ${id}`) as unknown as [
        { n: number },
      ];
    expect(n).toBe(0);
  });
});
