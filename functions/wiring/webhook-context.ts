import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Sql } from 'postgres';
import { DnsHostResolver } from '../adapters/http/dns-host-resolver.js';
import { HttpWebhookTransport } from '../adapters/http/http-webhook-transport.js';
import { PostgresWebhookDeliveries } from '../adapters/postgres/postgres-webhook-deliveries.js';
import { PostgresWebhookStore } from '../adapters/postgres/postgres-webhook-store.js';
import { SqsWebhookQueue } from '../adapters/sqs/sqs-webhook-queue.js';
import type { DeliverWebhookDeps } from '../domain/webhooks/webhook-delivery.js';
import type { HostResolver } from '../domain/webhooks/webhook-url.js';
import { sqsClient } from '../platform/aws/sqs-client.js';
import { type Config, config } from '../platform/config.js';
import { databaseConnection, lambdaSql } from '../platform/lambda-sql.js';
import { once } from '../platform/once.js';
import { createSecretBox } from './webhook-secret-key.js';

/** What the webhook delivery handler needs: the use cases' dependencies and the queue's visibility control. */
export interface WebhookRuntime {
  readonly deps: DeliverWebhookDeps;
  /** Keeps a failed delivery's message invisible for `seconds`: the retry's back-off. */
  readonly retryAfter: (receiptHandle: string, seconds: number) => Promise<void>;
}

export interface WebhookRuntimeProps {
  readonly cfg: Config;
  readonly sql: Sql;
  readonly sqs: SQSClient;
  /** `WEBHOOK_QUEUE_URL`. */
  readonly queueUrl: string;
  /** @default the system resolver */
  readonly resolver?: HostResolver;
}

/** Wires the Postgres, SQS and HTTP adapters into the delivery's dependencies. */
export function buildWebhookRuntime(props: WebhookRuntimeProps): WebhookRuntime {
  const { cfg, sqs, queueUrl } = props;
  return {
    deps: {
      webhooks: new PostgresWebhookStore(props.sql),
      deliveries: new PostgresWebhookDeliveries(props.sql),
      queue: new SqsWebhookQueue({ client: sqs, queueUrl }),
      secrets: once(() => createSecretBox(cfg)),
      resolver: props.resolver ?? new DnsHostResolver(),
      transport: new HttpWebhookTransport(),
      policy: { allowLoopback: cfg.WEBHOOK_ALLOW_LOOPBACK },
      settings: { retryBaseSeconds: cfg.WEBHOOK_RETRY_BASE_SECONDS, maxAttempts: cfg.WEBHOOK_MAX_ATTEMPTS },
    },
    retryAfter: async (receiptHandle, seconds) => {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: seconds,
        }),
      );
    },
  };
}

/**
 * Builds the delivery runtime from `cfg`: one postgres.js connection as the function's own
 * database login, the traced SQS client and `WEBHOOK_QUEUE_URL`.
 */
export function createWebhookRuntime(cfg: Config = config()): WebhookRuntime {
  if (!cfg.WEBHOOK_QUEUE_URL)
    throw new Error('invalid configuration: WEBHOOK_QUEUE_URL: required to deliver webhooks');
  return buildWebhookRuntime({
    cfg,
    sql: lambdaSql(databaseConnection(cfg)),
    sqs: sqsClient(),
    queueUrl: cfg.WEBHOOK_QUEUE_URL,
  });
}

/** The Lambda's delivery runtime, built on first use and kept for the execution environment's life. */
export const webhookRuntime = once(() => createWebhookRuntime());
