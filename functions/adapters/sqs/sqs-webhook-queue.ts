import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DependencyError } from '../../domain/errors.js';
import type { WebhookQueue } from '../../domain/webhooks/webhooks.js';

/** SQS's largest `SendMessageBatch`. */
const BATCH = 10;

/** The WebhookQueue port on SQS: one message `{deliveryId}` per delivery, sent in batches of ten. */
export class SqsWebhookQueue implements WebhookQueue {
  constructor(private readonly props: { readonly client: SQSClient; readonly queueUrl: string }) {}

  async enqueue(deliveryIds: readonly string[]): Promise<void> {
    for (let start = 0; start < deliveryIds.length; start += BATCH) {
      const ids = deliveryIds.slice(start, start + BATCH);
      let failed: number;
      try {
        const output = await this.props.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.props.queueUrl,
            Entries: ids.map((deliveryId, i) => ({
              Id: String(i),
              MessageBody: JSON.stringify({ deliveryId }),
            })),
          }),
        );
        failed = output.Failed?.length ?? 0;
      } catch (error) {
        throw new DependencyError('the webhook queue is unavailable', error);
      }
      if (failed > 0)
        throw new DependencyError(`the webhook queue refused ${failed} of ${ids.length} messages`);
    }
  }
}
