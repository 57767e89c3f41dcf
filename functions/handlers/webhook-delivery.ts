import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { parser } from '@aws-lambda-powertools/batch/parser';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { EVENT_SOURCE } from '../domain/notifications/export-events.js';
import { jsonText, UuidSchema } from '../domain/validation.js';
import { deliverWebhook, fanOutEvent } from '../domain/webhooks/webhook-delivery.js';
import { logger, metrics, tracer } from '../platform/powertools.js';
import { type WebhookRuntime, webhookRuntime } from '../wiring/webhook-context.js';

/** An export event as the EventBridge rule's SQS target delivers it (the whole event as the body). */
const BusEventMessage = z.looseObject({
  source: z.literal(EVENT_SOURCE),
  'detail-type': z.string(),
  time: z.string(),
  detail: z.looseObject({ eventId: z.string().check(z.minLength(1)), occurredAt: z.optional(z.string()) }),
});

/** A message of the webhook queue: an export event to fan out, or one delivery to attempt. */
export const WebhookQueueMessage = z.union([z.strictObject({ deliveryId: UuidSchema }), BusEventMessage]);

const WebhookRecord = z.object({
  messageId: z.string(),
  receiptHandle: z.string(),
  attributes: z.object({ ApproximateReceiveCount: z.string() }),
  body: jsonText(WebhookQueueMessage),
});
type WebhookRecord = z.infer<typeof WebhookRecord>;

/** Thrown to fail a record whose retry waits out its message's visibility. */
class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
}

/**
 * Builds the webhook delivery Lambda's handler around a runtime, so the local runtime and tests run
 * the same pipeline. Per record (in parallel, each with its own 10 s request timeout):
 * - an export event (from the EventBridge rule): fanned out into one delivery message per
 *   subscribed endpoint (`fanOutEvent`);
 * - `{deliveryId}`: one attempt (`deliverWebhook`), numbered by the message's receive count. A
 *   failed attempt sets the message's visibility to the back-off delay and fails the record, so
 *   SQS redelivers it then; the last allowed attempt fails it as is, so it moves on to the DLQ.
 */
export function createWebhookDeliveryHandler(runtime: () => WebhookRuntime | Promise<WebhookRuntime>) {
  const handle = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const { deps, retryAfter } = await runtime();
    const recordHandler = async (record: WebhookRecord) => {
      const message = record.body;
      const log = logger.createChild();
      log.appendKeys({ messageId: record.messageId, requestId: context.awsRequestId });
      if ('detail' in message) {
        const enqueued = await fanOutEvent(deps, message);
        log.info('event fanned out', { eventId: message.detail.eventId, deliveries: enqueued });
        return;
      }
      log.appendKeys({ deliveryId: message.deliveryId });
      const attempt = Number(record.attributes.ApproximateReceiveCount);
      const result = await deliverWebhook({ ...deps, log }, { deliveryId: message.deliveryId, attempt });
      metrics.addMetric(`WebhookAttempts`, MetricUnit.Count, 1);
      if (result.status === 'retry') {
        await retryAfter(record.receiptHandle, result.delaySeconds);
        throw new RetryLaterError(`attempt ${attempt} failed; retrying in ${result.delaySeconds} s`);
      }
      if (result.status === 'exhausted') {
        metrics.addMetric('WebhookDeliveriesGivenUp', MetricUnit.Count, 1);
        throw new Error(`delivery ${message.deliveryId} given up after ${attempt} attempts`);
      }
    };
    const processor = new BatchProcessor(EventType.SQS, { parser, schema: WebhookRecord, logger });
    return processPartialResponse(event, recordHandler, processor, {
      context,
      processInParallel: true,
      throwOnFullBatchFailure: false,
    });
  };

  return middy(handle)
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }));
}

/** The Lambda entry point (SQS event source with `reportBatchItemFailures`). */
export const handler = createWebhookDeliveryHandler(webhookRuntime);
