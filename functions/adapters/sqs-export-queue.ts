import { SendMessageCommand, SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DependencyError, ExportError } from '../domain/errors.js';
import type { ExportQueue, ExportQueueMessage } from '../domain/export-queue.js';

/**
 * SQS client; with `endpoint` (`SQS_ENDPOINT`, the local emulator) it uses local credentials
 * unless AWS ones are set, like `createS3Client`.
 */
export function createSqsClient(options: { endpoint?: string; region?: string } = {}): SQSClient {
  const config: SQSClientConfig = { region: options.region ?? process.env.AWS_REGION ?? 'us-east-1' };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    config.credentials = {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    };
  }
  return new SQSClient(config);
}

export interface SqsExportQueueProps {
  readonly client: SQSClient;
  /** `EXPORT_QUEUE_URL`. */
  readonly queueUrl: string;
}

/** Translates an SQS error: throttling, 5xx and network failures are retryable. */
function translateSqsError(error: unknown): Error {
  if (error instanceof ExportError) return error;
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined || status >= 500 || status === 429 || e.$retryable) {
    return new DependencyError('export queue unavailable', error);
  }
  return new ExportError('queue_error', `the export queue refused the message: ${e.name ?? 'error'}`, 500, {
    cause: error,
  });
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
