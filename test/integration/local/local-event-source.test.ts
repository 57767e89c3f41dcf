import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { createSqsClient } from '../../../functions/adapters/sqs/client.js';
import { type SqsEventSource, type SqsHandler, startSqsEventSource } from '../../../local/event-source.js';
import { createQueueWithDlq, type QueuePair, queueDepth } from '../../support/sqs-queues.js';

/**
 * The local SQS event source on the local SQS server: the Lambda event source mapping that `npm
 * start` and the worker tests feed handlers through, so its rules are the ones tests rely on.
 */

const sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
let source: SqsEventSource | undefined;

afterEach(async () => {
  await source?.stop(2_000);
  source = undefined;
});
afterAll(() => {
  sqs.destroy();
});

/** A fresh queue whose failed messages come back after a second. */
function queue(maxReceiveCount: number): Promise<QueuePair> {
  return createQueueWithDlq(sqs, `event-source-it-${randomUUID()}`, {
    maxReceiveCount,
    visibilityTimeoutSeconds: 1,
  });
}

async function send(pair: QueuePair, body: string): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: pair.queueUrl, MessageBody: body }));
}

function start(pair: QueuePair, handler: SqsHandler, timeoutMs = 60_000): void {
  source = startSqsEventSource({
    sqs,
    queueUrl: pair.queueUrl,
    queueArn: pair.queueArn,
    handlers: [handler],
    functionName: 'event-source-it',
    timeoutMs,
    batchSize: 10,
    waitTimeSeconds: 1,
    logError: () => {},
  });
}

describe('the local SQS event source', () => {
  it('deletes what a batch processed and hands a reported failure back later with a higher receive count', async () => {
    const pair = await queue(5);
    await send(pair, 'ok');
    await send(pair, 'fail once');
    const seen: string[] = [];
    start(pair, async (event) => {
      const failures = [];
      for (const record of event.Records) {
        const count = record.attributes.ApproximateReceiveCount;
        seen.push(`${record.body}#${count}`);
        if (record.body === 'fail once' && count === '1') failures.push({ itemIdentifier: record.messageId });
      }
      return { batchItemFailures: failures };
    });

    await expect.poll(() => seen.includes('fail once#2'), { timeout: 15_000, interval: 100 }).toBe(true);
    await expect.poll(() => queueDepth(sqs, pair.queueUrl), { timeout: 5_000, interval: 100 }).toBe(0);

    expect(seen.sort()).toEqual(['fail once#1', 'fail once#2', 'ok#1']);
    expect(await queueDepth(sqs, pair.dlqUrl)).toBe(0);
  });

  it('hands back every message of an invocation that throws, until the queue moves it to the dead-letter queue', async () => {
    const pair = await queue(2);
    await send(pair, 'poison');
    const counts: string[] = [];
    start(pair, async (event) => {
      counts.push(...event.Records.map((r) => r.attributes.ApproximateReceiveCount));
      throw new Error('handler crashed');
    });

    await expect.poll(() => queueDepth(sqs, pair.dlqUrl), { timeout: 15_000, interval: 100 }).toBe(1);

    expect(counts).toEqual(['1', '2']);
    expect(await queueDepth(sqs, pair.queueUrl)).toBe(0);
  });

  it('counts an invocation that outlives the function timeout as failed, even if it finishes later', async () => {
    const pair = await queue(5);
    await send(pair, 'slow first');
    const counts: string[] = [];
    const remaining: number[] = [];
    start(
      pair,
      async (event, context) => {
        const count = event.Records[0]!.attributes.ApproximateReceiveCount;
        counts.push(count);
        remaining.push(context.getRemainingTimeInMillis());
        if (count === '1') await sleep(600);
        return { batchItemFailures: [] };
      },
      300,
    );

    await expect.poll(() => counts.length, { timeout: 15_000, interval: 100 }).toBe(2);
    await expect.poll(() => queueDepth(sqs, pair.queueUrl), { timeout: 5_000, interval: 100 }).toBe(0);

    expect(counts).toEqual(['1', '2']);
    for (const ms of remaining) expect(ms).toBeLessThanOrEqual(300);
  });
});
