import { SQSClient } from '@aws-sdk/client-sqs';
import { type AwsClientOptions, awsClientConfig, translateAwsError } from '../aws/client-config.js';

/** SQS client; with `endpoint` (`SQS_ENDPOINT`, the local emulator) it uses local credentials unless AWS ones are set. */
export function createSqsClient(options: AwsClientOptions = {}): SQSClient {
  return new SQSClient(awsClientConfig(options));
}

/** Translates an SQS error: throttling, 5xx and network failures are retryable. */
export function translateSqsError(error: unknown): Error {
  return translateAwsError(error, {
    unavailable: 'export queue unavailable',
    code: 'queue_error',
    refused: 'the export queue refused the message',
  });
}
