import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EVENT_SOURCE, EXPORT_DETAIL_TYPES } from '../functions/domain/notifications/export-events.js';
import { defaultOf, SETTINGS, visibilityTimeoutFor } from '../functions/platform/settings.js';
import type { FunctionNetwork } from './database-access.js';
import { ExportFunction } from './export-function.js';
import { handlerEntryPath } from './handler-entries.js';
import { queueWithDeadLetterQueue } from './queue-with-dlq.js';

/** One 10 s request per record, records of a batch in parallel, plus the database round trips. */
const DELIVERY_TIMEOUT = Duration.seconds(30);

export interface ExportWebhooksProps {
  /**
   * Delivery attempts before a delivery is given up and its message moves to the DLQ (the
   * queue's `maxReceiveCount`; the function makes one attempt per receive).
   * @default the `WEBHOOK_MAX_ATTEMPTS` setting's default
   */
  readonly maxAttempts?: number;
  /**
   * First retry delay; each next one is 4× longer, at most 12 hours. With the defaults the retries
   * span about a day.
   * @default the `WEBHOOK_RETRY_BASE_SECONDS` setting's default
   */
  readonly retryBase?: Duration;
  /** Most concurrent delivery invocations. @default 5 */
  readonly maxConcurrency?: number;
  /** VPC placement of the delivery function (it reads the database; its subnets need egress). */
  readonly network?: FunctionNetwork;
  /** @default 'INFO' */
  readonly logLevel?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Removal policy of the queues, the key secret and the log group. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Export events and their webhooks (docs/events-and-webhooks.md): the EventBridge bus the worker and the sweeper
 * publish `Export Completed|Failed|Cancelled` on, a rule that sends those events to the webhook
 * queue, and the delivery function that fans each out to the subscribed endpoints and makes one
 * signed attempt per receive, backing off by the message's visibility for about a day before the
 * DLQ (alarmed). The key that seals the endpoints' signing secrets is a Secrets Manager secret only
 * the registering route and the delivery function may read. Database and publisher grants are
 * bound by the stack.
 */
export class ExportWebhooks extends Construct {
  public readonly eventBus: EventBus;
  public readonly rule: Rule;
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly handler: ExportFunction;
  public readonly eventSource: SqsEventSource;
  /** Key material of the AES-256-GCM box that seals webhook signing secrets at rest. */
  public readonly secretKey: Secret;
  /** Fires when a delivery was given up (or an event could not be fanned out) after every retry. */
  public readonly deadLetterAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ExportWebhooksProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const maxAttempts = props.maxAttempts ?? defaultOf('WEBHOOK_MAX_ATTEMPTS');
    const { min, max } = SETTINGS.WEBHOOK_MAX_ATTEMPTS;
    if (!Number.isInteger(maxAttempts) || maxAttempts < min || maxAttempts > max)
      throw new Error(`${this.node.path}: maxAttempts must be a whole number from ${min} to ${max}`);

    this.eventBus = new EventBus(this, 'Bus', { description: 'Outcome events of data export jobs' });

    // SSE-SQS, not an AWS managed KMS key: EventBridge can send to it without a key policy.
    const queues = queueWithDeadLetterQueue(this, {
      visibilityTimeout: Duration.seconds(visibilityTimeoutFor(DELIVERY_TIMEOUT.toSeconds())),
      maxReceiveCount: maxAttempts,
      removalPolicy,
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;

    this.rule = new Rule(this, 'Rule', {
      description: 'Export outcome events to the webhook delivery queue',
      eventBus: this.eventBus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [...EXPORT_DETAIL_TYPES] },
    });
    // Events EventBridge cannot put on the queue go to the DLQ too (and raise the same alarm).
    this.rule.addTarget(new SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue }));

    this.secretKey = new Secret(this, 'SecretKey', {
      description: 'Key material that seals the signing secrets of registered webhooks (AES-256-GCM)',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(this.secretKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating this key makes every sealed webhook secret unreadable; endpoints are re-registered instead (see docs/deployment.md).',
    });

    this.handler = new ExportFunction(this, 'Delivery', {
      entry: handlerEntryPath('webhookDelivery'),
      description: 'Fans export events out to webhooks and delivers them signed, with retries',
      timeout: DELIVERY_TIMEOUT,
      memorySize: 256,
      network: props.network,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
      logRemovalPolicy: removalPolicy,
      environment: {
        WEBHOOK_QUEUE_URL: this.queue.queueUrl,
        WEBHOOK_MAX_ATTEMPTS: String(maxAttempts),
        WEBHOOK_RETRY_BASE_SECONDS: String(
          props.retryBase?.toSeconds() ?? defaultOf('WEBHOOK_RETRY_BASE_SECONDS'),
        ),
      },
    });
    this.handler.bindWebhookSecretKey(this.secretKey);
    // Consume (receive, delete, change visibility for the back-off) and send (the fan-out).
    this.queue.grantConsumeMessages(this.handler);
    this.queue.grantSendMessages(this.handler);
    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency ?? 5,
    });
    this.handler.addEventSource(this.eventSource);

    this.deadLetterAlarm = new Alarm(this, 'DeadLetterAlarm', {
      alarmDescription:
        'A webhook delivery was given up after about a day of retries (or an export event could not be fanned out); see the delivery log and the webhook DLQ.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}
