import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  deliverWebhook,
  fanOutEvent,
  retryDelaySeconds,
  type WebhookRequest,
  type WebhookTransport,
} from '../../../functions/domain/webhooks/webhook-delivery.js';
import {
  FixedResolver,
  InMemoryWebhookDeliveries,
  InMemoryWebhookStore,
  PlainSecretBox,
  RecordingWebhookQueue,
} from '../../support/webhook-fakes.js';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

class ScriptedTransport implements WebhookTransport {
  readonly requests: WebhookRequest[] = [];
  constructor(private readonly answers: (number | Error)[]) {}
  async send(request: WebhookRequest) {
    this.requests.push(request);
    const answer = this.answers.shift() ?? 200;
    if (answer instanceof Error) throw answer;
    return { statusCode: answer };
  }
}

async function world(
  answers: (number | Error)[],
  hosts = { 'hooks.example.com': [{ address: '93.184.215.14', family: 4 as const }] },
) {
  const deliveries = new InMemoryWebhookDeliveries();
  const webhooks = new InMemoryWebhookStore(deliveries);
  const queue = new RecordingWebhookQueue();
  const transport = new ScriptedTransport(answers);
  const resolver = new FixedResolver(hosts);
  const box = new PlainSecretBox();
  await webhooks.create({
    id: 'w1',
    url: 'https://hooks.example.com/in',
    events: ['export.completed'],
    description: null,
    secretSealed: await box.seal(SECRET, 'w1'),
    createdBy: 'admin',
  });
  const deps = {
    webhooks,
    deliveries,
    queue,
    transport,
    resolver,
    secrets: async () => box,
    policy: { allowLoopback: false },
    settings: { retryBaseSeconds: 30, maxAttempts: 3 },
  };
  await fanOutEvent(deps, {
    'detail-type': 'Export Completed',
    time: '2024-05-01T10:00:00Z',
    detail: { eventId: 'evt_j1_completed', jobId: 'j1', occurredAt: '2024-05-01T10:00:00.000Z' },
  });
  return { deps, webhooks, deliveries, queue, transport, deliveryId: queue.deliveryIds[0]! };
}

describe('webhook retries', () => {
  it('back off 4× from 30 s up to 12 h: about a day over 8 attempts', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => retryDelaySeconds(attempt, 30));

    expect(delays).toEqual([30, 120, 480, 1920, 7680, 30720, 43200]);
    expect(delays.reduce((a, b) => a + b, 0) / 3600).toBeGreaterThan(20);
    expect(delays.reduce((a, b) => a + b, 0) / 3600).toBeLessThan(30);
  });
});

describe('deliverWebhook', () => {
  it('posts the event signed per Standard Webhooks to the checked address, and logs the attempt', async () => {
    const w = await world([204]);

    const result = await deliverWebhook(w.deps, { deliveryId: w.deliveryId, attempt: 1 });

    expect(result).toEqual({ status: 'delivered' });
    const [request] = w.transport.requests;
    expect(request?.address).toEqual({ address: '93.184.215.14', family: 4 });
    expect(request?.timeoutMs).toBe(10_000);
    const payload = new Webhook(SECRET).verify(request!.body, request!.headers as Record<string, string>);
    expect(payload).toMatchObject({
      type: 'export.completed',
      data: { jobId: 'j1', eventId: 'evt_j1_completed' },
    });
    expect(request?.headers['webhook-id']).toBe('evt_j1_completed');
    expect((await w.deliveries.list('w1', 10))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('retries a 500 or no answer with the back-off, keeps the webhook-id, and gives up after maxAttempts', async () => {
    const w = await world([500, new Error('no response within 10000 ms'), 503]);

    const results = [];
    for (const attempt of [1, 2, 3])
      results.push(await deliverWebhook(w.deps, { deliveryId: w.deliveryId, attempt }));

    expect(results).toEqual([
      { status: 'retry', delaySeconds: 30 },
      { status: 'retry', delaySeconds: 120 },
      { status: 'exhausted' },
    ]);
    expect(new Set(w.transport.requests.map((r) => r.headers['webhook-id']))).toEqual(
      new Set(['evt_j1_completed']),
    );
    const [logged] = await w.deliveries.list('w1', 10);
    expect(logged?.status).toBe('failed');
    expect(logged?.attemptLog.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [3, 503, null],
      [2, null, expect.stringContaining('no response')],
      [1, 500, null],
    ]);
  });

  it('disables the endpoint on 410 Gone and drops its later deliveries', async () => {
    const w = await world([410]);

    expect(await deliverWebhook(w.deps, { deliveryId: w.deliveryId, attempt: 1 })).toEqual({
      status: 'gone',
    });
    expect((await w.webhooks.get('w1'))?.status).toBe('disabled');
  });

  it('refuses to connect when the host now resolves to a private address (DNS rebinding), and retries later', async () => {
    const w = await world([200], { 'hooks.example.com': [{ address: '169.254.169.254', family: 4 }] });

    const result = await deliverWebhook(w.deps, { deliveryId: w.deliveryId, attempt: 1 });

    expect(result).toEqual({ status: 'retry', delaySeconds: 30 });
    expect(w.transport.requests).toEqual([]);
    expect((await w.deliveries.list('w1', 10))[0]?.lastError).toMatch(/169\.254\.169\.254/);
  });

  it('fans a resent event out to no second delivery', async () => {
    const w = await world([]);

    const again = await fanOutEvent(w.deps, {
      'detail-type': 'Export Completed',
      time: '2024-05-01T10:00:00Z',
      detail: { eventId: 'evt_j1_completed', jobId: 'j1' },
    });
    await deliverWebhook(w.deps, { deliveryId: w.deliveryId, attempt: 1 });
    const afterDelivery = await fanOutEvent(w.deps, {
      'detail-type': 'Export Completed',
      time: '2024-05-01T10:00:00Z',
      detail: { eventId: 'evt_j1_completed', jobId: 'j1' },
    });

    expect(again).toBe(1); // still pending: enqueued again, at least once
    expect(afterDelivery).toBe(0);
    expect(w.deliveries.rows.size).toBe(1);
  });
});
