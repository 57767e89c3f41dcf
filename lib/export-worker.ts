import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  defaultOf,
  MAX_LAMBDA_TIMEOUT_SECONDS,
  visibilityTimeoutFor,
} from '../functions/platform/settings.js';
import type { FunctionNetwork } from './database-access.js';
import { ExportFunction } from './export-function.js';
import { handlerEntryPath } from './handler-entries.js';
import { queueWithDeadLetterQueue } from './queue-with-dlq.js';

export interface ExportWorkerProps {
  /** @default Duration.minutes(15) */
  readonly timeout?: Duration;
  /** @default 1024 */
  readonly memorySize?: number;
  /**
   * Receives of one message before it moves to the dead-letter queue.
   * @default the `MAX_RECEIVE_COUNT` setting's default
   */
  readonly maxReceiveCount?: number;
  /**
   * Most concurrent worker invocations; each holds one database connection, so this protects the
   * database from a burst of queued exports.
   * @default 5
   */
  readonly maxConcurrency?: number;
  /**
   * Messages per invocation; exports are long, so one by default keeps each within the timeout.
   * @default 1
   */
  readonly batchSize?: number;
  /**
   * A table with more estimated rows is split into key-range chunks of about this many, each run
   * by its own invocation (`CHUNK_ROWS`).
   * @default the `CHUNK_ROWS` setting's default
   */
  readonly chunkRows?: number;
  /** VPC placement of the worker (it reads the database). @default - not in a VPC */
  readonly network?: FunctionNetwork;
  /** @default 'INFO' */
  readonly logLevel?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Removal policy of the queues and the worker's log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Extra plain settings of the worker and the sweeper. @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * How often the sweeper re-enqueues stale `queued` jobs and recovers abandoned `processing` ones.
   * @default Schedule.rate(Duration.minutes(5))
   */
  readonly sweepSchedule?: Schedule;
}

/**
 * The export queue, its dead-letter queue and the worker that consumes it (Powertools
 * `BatchProcessor`, so the event source reports batch item failures). Queues are encrypted
 * (SSE-SQS) and TLS-only; a message moves to the DLQ after `maxReceiveCount` receives. A sweeper,
 * run by an EventBridge rule, recovers the jobs the queue alone cannot: `queued` ones whose message
 * was never sent, and `processing` ones whose worker vanished (re-enqueued, or failed after
 * `maxReceiveCount` attempts). Its grants (database, sending, email) are bound by the stack.
 */
export class ExportWorker extends Construct {
  public readonly queue: Queue;
  public readonly deadLetterQueue: Queue;
  public readonly handler: ExportFunction;
  public readonly eventSource: SqsEventSource;
  /** Re-enqueues jobs left without a message and fails jobs abandoned after their last attempt. */
  public readonly sweeper: ExportFunction;
  /** The EventBridge rule that invokes the sweeper. */
  public readonly sweepRule: Rule;

  constructor(scope: Construct, id: string, props: ExportWorkerProps = {}) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(MAX_LAMBDA_TIMEOUT_SECONDS);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const maxReceiveCount = props.maxReceiveCount ?? defaultOf('MAX_RECEIVE_COUNT');
    const visibilityTimeoutSeconds = visibilityTimeoutFor(timeout.toSeconds());

    const queues = queueWithDeadLetterQueue(this, {
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds),
      maxReceiveCount,
      removalPolicy,
    });
    this.queue = queues.queue;
    this.deadLetterQueue = queues.deadLetterQueue;

    this.handler = new ExportFunction(this, 'Handler', {
      entry: handlerEntryPath('exportWorker'),
      description: 'Streams export jobs from Postgres to S3 and emails the download link',
      timeout,
      memorySize: props.memorySize ?? 1024,
      network: props.network,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
      logRemovalPolicy: removalPolicy,
      // The worker marks a job failed on the last receive, before SQS moves it to the DLQ.
      environment: {
        ...props.environment,
        MAX_RECEIVE_COUNT: String(maxReceiveCount),
        ...(props.chunkRows !== undefined && { CHUNK_ROWS: String(props.chunkRows) }),
      },
    });

    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? 1,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency ?? 5,
    });
    this.handler.addEventSource(this.eventSource);

    this.sweeper = new ExportFunction(this, 'Sweeper', {
      entry: handlerEntryPath('sweepJobs'),
      description: 'Re-enqueues export jobs left without a queue message and fails abandoned ones',
      timeout: Duration.minutes(2),
      memorySize: 256,
      network: props.network,
      logLevel: props.logLevel,
      logRetention: props.logRetention,
      logRemovalPolicy: removalPolicy,
      environment: {
        ...props.environment,
        // The sweeper fails a job after as many attempts as the worker gets receives, and leaves a
        // released job to SQS's own redelivery for as long as the message stays invisible.
        MAX_RECEIVE_COUNT: String(maxReceiveCount),
        QUEUE_VISIBILITY_TIMEOUT_SECONDS: String(visibilityTimeoutSeconds),
      },
    });
    // A failed sweep is not retried: the next one is minutes away and does the same work.
    this.sweeper.configureAsyncInvoke({ retryAttempts: 0 });
    this.sweepRule = new Rule(this, 'SweepRule', {
      description: 'Sweeps stale export jobs (re-enqueue or fail)',
      schedule: props.sweepSchedule ?? Schedule.rate(Duration.minutes(5)),
    });
    this.sweepRule.addTarget(new LambdaFunction(this.sweeper));
  }
}
