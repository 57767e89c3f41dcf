import { createHash, randomUUID } from 'node:crypto';
import type { Message } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { sqsRecord } from '../../local/event-source.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, lambdaContext } from '../../local/lambda-context.js';

/** The export queue's ARN in the events built here. */
export const TEST_QUEUE_ARN = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:export-queue`;

/** The export worker's timeout as deployed (Lambda's longest): it budgets its exports against it. */
export const WORKER_TIMEOUT_MS = 15 * 60 * 1000;

export interface ReceivedMessageOptions {
  /** @default a random uuid */
  readonly messageId?: string;
  /** `ApproximateReceiveCount`: how many times SQS has handed the message out, this time included. @default 1 */
  readonly receiveCount?: number;
}

/**
 * A message as SQS `ReceiveMessage` returns it, with `body` JSON-encoded unless it is a string
 * already. Handlers are given it through {@link sqsEventOf}, i.e. through the local event
 * source's own record builder, so these tests see exactly the events `npm start` delivers.
 */
export function receivedMessage(body: unknown, options: ReceivedMessageOptions = {}): Message {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const messageId = options.messageId ?? randomUUID();
  const receiveCount = options.receiveCount ?? 1;
  const now = String(Date.now());
  return {
    MessageId: messageId,
    ReceiptHandle: `receipt-${messageId}-${receiveCount}`,
    Body: text,
    MD5OfBody: createHash('md5').update(text).digest('hex'),
    Attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: now,
      ApproximateFirstReceiveTimestamp: now,
    },
  };
}

/** The SQS event of one batch of received messages, built by the local event source. */
export function sqsEventOf(...messages: Message[]): SQSEvent {
  return { Records: messages.map((message) => sqsRecord(message, TEST_QUEUE_ARN)) };
}

/** The context of one export-worker invocation, as the local event source creates it. */
export function workerContext(timeoutMs = WORKER_TIMEOUT_MS): Context {
  return lambdaContext({ functionName: 'export-worker', timeoutMs });
}
