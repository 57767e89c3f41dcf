import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { LOCAL_REGION, lambdaContext, withTimeout } from './lambda-context.js';

/** An SQS-triggered Lambda handler with `reportBatchItemFailures`. */
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined | null>;

export interface SqsEventSourceProps {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  /**
   * One handler per concurrent poller, like Lambda execution environments: each is invoked with
   * one batch at a time. Their number is the mapping's maximum concurrency.
   */
  readonly handlers: readonly SqsHandler[];
  /** Name in the fake Lambda context and the logs. */
  readonly functionName: string;
  /** The function's timeout; an invocation running longer counts as failed (its messages stay). */
  readonly timeoutMs: number;
  /** Records per invocation, 1–10. @default 1 (the stack's default) */
  readonly batchSize?: number;
  /** Long-poll wait. @default 20 */
  readonly waitTimeSeconds?: number;
  readonly log?: (line: string) => void;
  readonly logError?: (message: string, error: unknown) => void;
}

export interface SqsEventSource {
  /** Stops polling and waits up to `graceMs` for running invocations; unfinished ones are left to redelivery. */
  stop(graceMs?: number): Promise<void>;
}

function messageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): SQSMessageAttributes {
  // Attribute names are the sender's data: without a prototype, `__proto__` is a plain key.
  const out = Object.create(null) as SQSMessageAttributes;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    out[name] = {
      dataType: value.DataType ?? 'String',
      ...(value.StringValue !== undefined && { stringValue: value.StringValue }),
      ...(value.BinaryValue !== undefined && {
        binaryValue: Buffer.from(value.BinaryValue).toString('base64'),
      }),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return out;
}

/** The Lambda SQS record of a received message. */
export function sqsRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const now = String(Date.now());
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? now,
      SenderId: attributes.SenderId ?? 'AIDALOCAL',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? now,
    },
    messageAttributes: messageAttributes(message.MessageAttributes),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

/**
 * Which messages of a batch succeeded, by Lambda's rules for `ReportBatchItemFailures`: no
 * response, or an empty `batchItemFailures`, means all; an item identifier that is empty or not in
 * the batch fails the whole batch.
 */
export function succeededMessages(
  messages: readonly Message[],
  response: SQSBatchResponse | undefined | null,
): Message[] {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(messages.map((message) => message.MessageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = failure?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return [];
    failed.add(id);
  }
  return messages.filter((message) => !failed.has(message.MessageId ?? ''));
}

/**
 * A Lambda event source mapping for SQS, in process: each poller long-polls the queue, invokes its
 * handler with an `SQSEvent` batch and a Lambda context whose deadline is the function timeout,
 * then deletes the records that succeeded. Failed records (batch item failures, a thrown error or a
 * timeout) are left alone: they reappear after the queue's visibility timeout with a higher
 * `ApproximateReceiveCount`, and the queue's redrive policy moves them to the dead-letter queue
 * after `maxReceiveCount` receives, exactly as with Lambda.
 */
export function startSqsEventSource(props: SqsEventSourceProps): SqsEventSource {
  const batchSize = props.batchSize ?? 1;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
    throw new RangeError(`batchSize must be 1–10, got ${batchSize}`);
  }
  const log = props.log ?? (() => {});
  const logError = props.logError ?? ((message, error) => console.error(message, error));
  const abort = new AbortController();
  const running = new Set<Promise<void>>();

  const invoke = async (handler: SqsHandler, messages: Message[]): Promise<void> => {
    const event: SQSEvent = { Records: messages.map((message) => sqsRecord(message, props.queueArn)) };
    let succeeded: Message[] = [];
    try {
      const response = await withTimeout(
        handler(event, lambdaContext({ functionName: props.functionName, timeoutMs: props.timeoutMs })),
        props.timeoutMs,
        props.functionName,
      );
      succeeded = succeededMessages(messages, response);
    } catch (error) {
      logError(
        `${props.functionName}: invocation failed; its ${messages.length} message(s) return after the visibility timeout`,
        error,
      );
    }
    const failed = messages.length - succeeded.length;
    if (failed > 0) {
      const counts = messages.map((m) => m.Attributes?.ApproximateReceiveCount ?? '1').join(', ');
      log(
        `${props.functionName}: ${failed} of ${messages.length} message(s) failed (receive count ${counts}); SQS redelivers them after the visibility timeout`,
      );
    }
    if (succeeded.length === 0) return;
    const result = await props.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: props.queueUrl,
        Entries: succeeded.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
    for (const failure of result.Failed ?? []) {
      logError(`${props.functionName}: could not delete a processed message`, failure);
    }
  };

  const poll = async (handler: SqsHandler): Promise<void> => {
    while (!abort.signal.aborted) {
      let messages: Message[];
      try {
        const response = await props.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: props.queueUrl,
            MaxNumberOfMessages: batchSize,
            WaitTimeSeconds: props.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
          { abortSignal: abort.signal },
        );
        messages = response.Messages ?? [];
      } catch (error) {
        if (abort.signal.aborted) return;
        logError(`${props.functionName}: ReceiveMessage failed; retrying in 1 s`, error);
        await sleep(1000, undefined, { signal: abort.signal }).catch(() => {});
        continue;
      }
      if (messages.length === 0) continue;
      const invocation = invoke(handler, messages).catch((error: unknown) =>
        logError(`${props.functionName}: event source error`, error),
      );
      running.add(invocation);
      await invocation;
      running.delete(invocation);
    }
  };

  const pollers = props.handlers.map((handler) => poll(handler));
  return {
    async stop(graceMs = 5_000) {
      abort.abort();
      await Promise.race([Promise.all([...pollers, ...running]), sleep(graceMs)]);
    },
  };
}
