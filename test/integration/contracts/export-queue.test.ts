import { randomUUID } from 'node:crypto';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, expect, inject, it } from 'vitest';
import { createSqsClient } from '../../../functions/adapters/sqs/client.js';
import { SqsExportQueue } from '../../../functions/adapters/sqs/sqs-export-queue.js';
import { DependencyError } from '../../../functions/domain/errors.js';
import type { ExportQueue, ExportQueueMessage } from '../../../functions/domain/jobs/export-queue.js';
import { freePort } from '../../../local/embedded-postgres.js';
import { RecordingQueue } from '../../support/api-fakes.js';
import { describeContract } from '../../support/contract-suite.js';

/**
 * The ExportQueue port, one set of cases run against the recording fake the API and sweeper tests
 * use and against the SQS adapter on the local SQS server.
 */

/** One implementation, with what its consumer receives and a way to lose the connection to it. */
interface Subject {
  readonly queue: ExportQueue;
  /** Every message the consumer (the worker) receives, in any order. */
  received(): Promise<ExportQueueMessage[]>;
  /** The same queue, seen by a sender that cannot reach it. */
  unreachable(): Promise<ExportQueue>;
  close(): Promise<void>;
}

const sqs = createSqsClient({ endpoint: inject('awsEndpoint') });
afterAll(() => {
  sqs.destroy();
});

async function recording(): Promise<Subject> {
  const fake = new RecordingQueue();
  return {
    queue: fake,
    received: async () => [...fake.messages],
    unreachable: async () => {
      fake.unavailable = true;
      return fake;
    },
    close: async () => {},
  };
}

async function onSqs(): Promise<Subject> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `queue-contract-${randomUUID()}` }),
  );
  const queueUrl = QueueUrl!;
  const clients: SQSClient[] = [];
  return {
    queue: new SqsExportQueue({ client: sqs, queueUrl }),
    async received() {
      const bodies: ExportQueueMessage[] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        );
        if (Messages.length === 0) return bodies;
        bodies.push(...Messages.map((m) => JSON.parse(m.Body!) as ExportQueueMessage));
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
    },
    async unreachable() {
      // Nothing listens on a port just found free; one attempt, so the failure comes at once.
      const client = new SQSClient({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${await freePort()}`,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });
      clients.push(client);
      return new SqsExportQueue({ client, queueUrl });
    },
    async close() {
      for (const client of clients) client.destroy();
      await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    },
  };
}

const byBody = (messages: readonly ExportQueueMessage[]) => messages.map((m) => JSON.stringify(m)).sort();

describeContract<Subject>('ExportQueue', { recording: recording, sqs: onSqs }, (s) => {
  afterEach(async () => {
    await s.close();
  });

  it("delivers an API job's message once", async () => {
    const message = { jobId: randomUUID() };

    await s.queue.enqueue(message);

    expect(await s.received()).toEqual([message]);
  });

  it("delivers a scheduled run's message", async () => {
    const message = { schedule: 'daily_transactions', scheduledTime: '2024-05-02T01:00:00Z' };

    await s.queue.enqueue(message);

    expect(await s.received()).toEqual([message]);
  });

  it('delivers every message of a burst of concurrent sends, duplicates included', async () => {
    const ids = Array.from({ length: 15 }, () => randomUUID());
    const messages = [...ids, ids[0]!, ids[1]!].map((jobId) => ({ jobId }));

    await Promise.all(messages.map((message) => s.queue.enqueue(message)));

    expect(byBody(await s.received())).toEqual(byBody(messages));
  });

  it('sends the message as it is when enqueued: a later change to the object is not delivered', async () => {
    const message = { jobId: randomUUID() };
    const sent: { jobId: string } = { ...message };

    await s.queue.enqueue(sent);
    sent.jobId = 'changed after sending';

    expect(await s.received()).toEqual([message]);
  });

  it('rejects with a retryable DependencyError when the queue cannot be reached, and delivers nothing', async () => {
    const unreachable = await s.unreachable();

    const sent = unreachable.enqueue({ jobId: randomUUID() });

    await expect(sent).rejects.toBeInstanceOf(DependencyError);
    await expect(sent).rejects.toMatchObject({ retryable: true, status: 503 });
    expect(await s.received()).toEqual([]);
  });
});
