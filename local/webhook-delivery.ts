import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from '../functions/platform/config.js';
import { once } from '../functions/platform/once.js';
import { type SqsEventSource, type SqsHandler, startSqsEventSource } from './event-source.js';

/** The webhook delivery queue and its dead-letter queue. */
export interface WebhookQueues {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
}

/** The delivery function's timeout: one 10 s request per record, records in parallel. */
export const WEBHOOK_DELIVERY_TIMEOUT_SECONDS = 30;

/**
 * Creates the webhook queue as the stack does: visibility 6 × the delivery function's timeout, and
 * a redrive to the DLQ after `WEBHOOK_MAX_ATTEMPTS` receives (one attempt per receive).
 */
export async function createWebhookQueues(sqs: SQSClient, maxAttempts: number): Promise<WebhookQueues> {
  const arnOf = async (queueUrl: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
      .Attributes?.QueueArn ?? '';
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'data-export-webhooks-dlq' }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: 'data-export-webhooks',
      Attributes: {
        VisibilityTimeout: String(6 * WEBHOOK_DELIVERY_TIMEOUT_SECONDS),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await arnOf(dlq.QueueUrl!),
          maxReceiveCount: String(maxAttempts),
        }),
      },
    }),
  );
  return {
    queueUrl: queue.QueueUrl!,
    queueArn: await arnOf(queue.QueueUrl!),
    deadLetterQueueUrl: dlq.QueueUrl!,
  };
}

/**
 * The webhook delivery function behind its queue (the stack's SQS event source, batch size 10),
 * with its own database login and the handler's own runtime (`createWebhookRuntime`).
 */
export async function startWebhookDelivery(props: {
  readonly config: Config;
  readonly sqs: SQSClient;
  readonly queues: WebhookQueues;
  readonly log: (line: string) => void;
  readonly logError: (message: string, error: unknown) => void;
}): Promise<SqsEventSource> {
  const { createWebhookRuntime } = await import('../functions/wiring/webhook-context.js');
  const { createWebhookDeliveryHandler } = await import('../functions/handlers/webhook-delivery.js');
  const handler = createWebhookDeliveryHandler(
    once(() => createWebhookRuntime(props.config)),
  ) as unknown as SqsHandler;
  return startSqsEventSource({
    sqs: props.sqs,
    queueUrl: props.queues.queueUrl,
    queueArn: props.queues.queueArn,
    handlers: [handler],
    functionName: 'webhook-delivery',
    timeoutMs: WEBHOOK_DELIVERY_TIMEOUT_SECONDS * 1000,
    batchSize: 10,
    waitTimeSeconds: 1,
    log: props.log,
    logError: props.logError,
  });
}
