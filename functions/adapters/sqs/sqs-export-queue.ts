import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ExportQueue, ExportQueueMessage } from '../../domain/jobs/export-queue.js';
import { translateSqsError } from './client.js';

export interface SqsExportQueueProps {
  readonly client: SQSClient;
  /** `EXPORT_QUEUE_URL`. */
  readonly queueUrl: string;
}

/** The ExportQueue port on SQS `SendMessage`: the body is the message as JSON. */
export class SqsExportQueue implements ExportQueue {
  constructor(private readonly props: SqsExportQueueProps) {}

  async enqueue(message: ExportQueueMessage): Promise<void> {
    try {
      await this.props.client.send(
        new SendMessageCommand({ QueueUrl: this.props.queueUrl, MessageBody: JSON.stringify(message) }),
      );
    } catch (error) {
      throw translateSqsError(error);
    }
  }
}
