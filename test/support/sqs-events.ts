import { createHash, randomUUID } from 'node:crypto';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

export interface SqsRecordOptions {
  /** @default a random uuid */
  readonly messageId?: string;
  /** `ApproximateReceiveCount`. @default 1 */
  readonly receiveCount?: number;
  /** @default arn:aws:sqs:us-east-1:000000000000:export-queue */
  readonly queueArn?: string;
}

/** One SQS record as Lambda delivers it, with `body` JSON-encoded unless it is a string already. */
export function sqsRecord(body: unknown, options: SqsRecordOptions = {}): SQSRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const now = String(Date.now());
  const messageId = options.messageId ?? randomUUID();
  return {
    messageId,
    receiptHandle: `receipt-${messageId}-${options.receiveCount ?? 1}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: now,
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(text).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: options.queueArn ?? 'arn:aws:sqs:us-east-1:000000000000:export-queue',
    awsRegion: 'us-east-1',
  };
}

/** An SQS event of the given records. */
export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A Lambda context whose deadline is `timeoutMs` after its creation. */
export function lambdaContext(options: { timeoutMs?: number; requestId?: string } = {}): Context {
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60 * 1000);
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'export-worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:export-worker',
    memoryLimitInMB: '1024',
    awsRequestId: options.requestId ?? randomUUID(),
    logGroupName: '/aws/lambda/export-worker',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
