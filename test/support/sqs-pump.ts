import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { lambdaContext } from './sqs-events.js';

/** A queue with a dead-letter queue behind it, as the stack wires the export queue. */
export interface QueuePair {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
}

export async function createQueueWithDlq(
  sqs: SQSClient,
  name: string,
  options: { maxReceiveCount: number; visibilityTimeoutSeconds?: number },
): Promise<QueuePair> {
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const dlqArn = await queueArn(sqs, dlq.QueueUrl!);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: String(options.maxReceiveCount),
        }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl!, queueArn: await queueArn(sqs, queue.QueueUrl!), dlqUrl: dlq.QueueUrl! };
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  return Attributes!.QueueArn!;
}

/** Visible plus in-flight messages of a queue. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** The Lambda SQS record of a received message. */
export function recordFromMessage(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

export interface PumpOptions {
  readonly sqs: SQSClient;
  readonly queue: QueuePair;
  readonly handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  /** Concurrent "Lambda invocations". @default 1 */
  readonly concurrency?: number;
  /** Records per invocation. @default 1 */
  readonly batchSize?: number;
  /** Stops when this returns true (checked between receives). */
  readonly done: () => Promise<boolean>;
  /** Gives up (rejects) after this long. @default 50 s */
  readonly timeoutMs?: number;
}

/**
 * A small Lambda event source mapping: long-polls the queue, invokes the handler with batches,
 * deletes the records it did not report as failed, and makes failed ones visible again at once
 * (as if their visibility timeout had passed), so SQS's receive count and redrive to the DLQ do
 * the rest. Returns how many invocations ran.
 */
export async function pumpQueue(options: PumpOptions): Promise<number> {
  const { sqs, queue, handler } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 50_000);
  let invocations = 0;
  let finished = false;
  const consumer = async () => {
    while (!finished) {
      if (await options.done()) {
        finished = true;
        return;
      }
      if (Date.now() > deadline) throw new Error('pumpQueue: deadline passed before done()');
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.queueUrl,
          MaxNumberOfMessages: options.batchSize ?? 1,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
      );
      if (Messages.length === 0) continue;
      invocations++;
      const response = await handler(
        { Records: Messages.map((m) => recordFromMessage(m, queue.queueArn)) },
        lambdaContext(),
      );
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      for (const message of Messages) {
        const receipt = { QueueUrl: queue.queueUrl, ReceiptHandle: message.ReceiptHandle! };
        if (failed.has(message.MessageId!)) {
          await sqs.send(new ChangeMessageVisibilityCommand({ ...receipt, VisibilityTimeout: 0 }));
        } else {
          await sqs.send(new DeleteMessageCommand(receipt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 1 }, consumer));
  return invocations;
}
