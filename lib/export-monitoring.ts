import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../functions/platform/service-identity.js';

/** Dimensions of the worker's EMF metrics (Powertools adds `service`). */
const EXPORT_METRIC_DIMENSIONS = 'format, kind, service';

export interface ExportMonitoringProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly worker: IFunction;
  /** The worker's timeout, for the stuck-chunk alarm. @default Duration.minutes(15) */
  readonly workerTimeout?: Duration;
  /**
   * The stale-job sweeper; alarmed when it keeps failing.
   * @default - no sweeper alarm
   */
  readonly sweeper?: IFunction;
  readonly api: RestApi;
  /**
   * The `service` dimension of the worker's metrics.
   * @default 'data-export'
   */
  readonly serviceName?: string;
  /**
   * Address subscribed to the alarm topic.
   * @default - no subscription; subscribe to `alarmTopic` yourself
   */
  readonly alarmEmail?: string;
  /**
   * Age of the oldest queued export that counts as a stalled worker.
   * @default Duration.hours(1)
   */
  readonly maxQueueAge?: Duration;
  /** Removal policy of the alarm topic's key. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Alarms (dead-letter queue not empty, worker errors, failed exports, failed or stuck chunks,
 * stalled queue, API 5xx, sweeper failing) that notify an encrypted SNS topic, and a dashboard of the export metrics.
 */
export class ExportMonitoring extends Construct {
  public readonly alarmTopic: Topic;
  public readonly deadLetterAlarm: Alarm;
  public readonly workerErrorsAlarm: Alarm;
  public readonly failedExportsAlarm: Alarm;
  public readonly queueAgeAlarm: Alarm;
  public readonly apiServerErrorsAlarm: Alarm;
  /** A chunk of a large export failed for good (its job failed with it). */
  public readonly failedChunksAlarm: Alarm;
  /** Worker invocations ran into their timeout: chunks that should have paused at a part boundary got stuck. */
  public readonly stuckChunksAlarm: Alarm;
  /** Present when `sweeper` was given. */
  public readonly sweeperErrorsAlarm?: Alarm;
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: ExportMonitoringProps) {
    super(scope, id);
    const serviceName = props.serviceName ?? SERVICE_NAME;
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the data export alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to an encrypted topic only if the key lets CloudWatch use it.
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const notify = new SnsAction(this.alarmTopic);
    const fiveMinutes = Duration.minutes(5);

    /**
     * An alarm that fires when `metric` is above `threshold` (default: any occurrence) in
     * `evaluationPeriods` periods (default 1); no data is good news, and every alarm notifies.
     */
    const alarm = (
      id: string,
      description: string,
      metric: IMetric,
      options: { threshold?: number; evaluationPeriods?: number; orEqual?: boolean } = {},
    ) => {
      const created = new Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold: options.threshold ?? 0,
        comparisonOperator: options.orEqual
          ? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
          : ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: options.evaluationPeriods ?? 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(notify);
      return created;
    };

    this.deadLetterAlarm = alarm(
      'DeadLetterQueueNotEmpty',
      'Export messages failed every retry and wait in the dead-letter queue',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: Stats.MAXIMUM,
      }),
    );
    this.workerErrorsAlarm = alarm(
      'WorkerErrors',
      'The export worker threw (a retryable failure or a crash)',
      props.worker.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
    );
    this.failedExportsAlarm = alarm(
      'ExportsFailed',
      'Exports ended as failed (any kind, any format)',
      // Metrics Insights sums every kind/format combination, which a plain metric alarm cannot.
      new MathExpression({
        label: 'ExportsFailed',
        expression: `SELECT SUM(ExportsFailed) FROM SCHEMA("${METRICS_NAMESPACE}", ${EXPORT_METRIC_DIMENSIONS}) WHERE service = '${serviceName}'`,
        period: fiveMinutes,
        usingMetrics: {},
      }),
    );
    this.queueAgeAlarm = alarm(
      'QueueStalled',
      'The oldest queued export waits too long: workers are failing or throttled',
      props.queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: Stats.MAXIMUM }),
      { threshold: (props.maxQueueAge ?? Duration.hours(1)).toSeconds(), evaluationPeriods: 2 },
    );
    this.apiServerErrorsAlarm = alarm(
      'ApiServerErrors',
      'The API answered 5xx (handlers map bad input to 4xx, so 5xx is a defect or outage)',
      props.api.metricServerError({ period: fiveMinutes, statistic: Stats.SUM }),
      { threshold: 5, orEqual: true },
    );
    this.failedChunksAlarm = alarm(
      'ChunksFailed',
      'A chunk of a large export failed for good, and its job with it',
      new MathExpression({
        label: 'ChunksFailed',
        expression: `SELECT SUM(ChunksFailed) FROM SCHEMA("${METRICS_NAMESPACE}", ${EXPORT_METRIC_DIMENSIONS}) WHERE service = '${serviceName}'`,
        period: fiveMinutes,
        usingMetrics: {},
      }),
    );
    // A healthy chunk stops at a part boundary well before the deadline and continues in the next
    // invocation; one that hits the timeout (a slow database, a hung upload) is stuck.
    const timeoutMs = props.workerTimeout?.toMilliseconds() ?? Duration.minutes(15).toMilliseconds();
    this.stuckChunksAlarm = alarm(
      'ChunksStuck',
      'Export worker invocations ran into their timeout instead of pausing at a part boundary',
      props.worker.metricDuration({ period: fiveMinutes, statistic: Stats.MAXIMUM }),
      { threshold: Math.floor(timeoutMs * 0.98), orEqual: true, evaluationPeriods: 2 },
    );
    if (props.sweeper) {
      this.sweeperErrorsAlarm = alarm(
        'SweeperErrors',
        'The stale-job sweeper failed three runs in a row: jobs without a queue message or with a vanished worker are not recovered',
        props.sweeper.metricErrors({ period: fiveMinutes, statistic: Stats.SUM }),
        // One failed run heals itself at the next; a sweeper that keeps failing does not.
        { evaluationPeriods: 3 },
      );
    }
    const alarms = [
      this.deadLetterAlarm,
      this.workerErrorsAlarm,
      this.failedExportsAlarm,
      this.queueAgeAlarm,
      this.apiServerErrorsAlarm,
      this.failedChunksAlarm,
      this.stuckChunksAlarm,
      ...(this.sweeperErrorsAlarm ? [this.sweeperErrorsAlarm] : []),
    ];

    const search = (metricName: string, statistic: string, label: string): IMetric =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE},${EXPORT_METRIC_DIMENSIONS.replace(/ /g, '')}} MetricName="${metricName}" service="${serviceName}"', '${statistic}', 300)`,
        label,
        period: fiveMinutes,
        usingMetrics: {},
      });
    const graph = (title: string, left: IMetric[], right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width: 8, height: 6 });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new TextWidget({
            markdown: `# Data exports (${serviceName})\nMetrics per kind and format from the worker (namespace \`${METRICS_NAMESPACE}\`), queue health, worker and API.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph('Exports completed', [search('ExportsCompleted', 'Sum', '')]),
          graph(
            'Exports failed',
            [search('ExportsFailed', 'Sum', '')],
            [search('ChunksFailed', 'Sum', 'chunks failed')],
          ),
          graph('Export duration (ms)', [
            search('ExportDurationMs', 'p50', 'p50'),
            search('ExportDurationMs', 'p95', 'p95'),
          ]),
        ],
        [
          graph(
            'Rows exported',
            [search('RowsExported', 'Sum', '')],
            [search('ChunksResumed', 'Sum', 'chunks resumed')],
          ),
          graph('Bytes written', [search('BytesWritten', 'Sum', '')]),
          graph(
            'Export queue',
            [
              props.queue.metricApproximateNumberOfMessagesVisible({ label: 'queued' }),
              props.queue.metricApproximateNumberOfMessagesNotVisible({ label: 'in flight' }),
              props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ label: 'dead letters' }),
            ],
            [props.queue.metricApproximateAgeOfOldestMessage({ label: 'oldest (s)' })],
          ),
        ],
        [
          graph(
            'Worker',
            [
              props.worker.metricInvocations({ statistic: Stats.SUM }),
              props.worker.metricErrors({ statistic: Stats.SUM }),
              props.worker.metricThrottles({ statistic: Stats.SUM }),
            ],
            [props.worker.metricDuration({ statistic: Stats.p(95), label: 'duration p95' })],
          ),
          graph(
            'API requests',
            [
              props.api.metricCount({ statistic: Stats.SUM }),
              props.api.metricClientError({ statistic: Stats.SUM }),
              props.api.metricServerError({ statistic: Stats.SUM }),
            ],
            [props.api.metricLatency({ statistic: Stats.p(95), label: 'latency p95' })],
          ),
          new AlarmStatusWidget({
            title: 'Alarms',
            alarms,
            width: 8,
            height: 6,
          }),
        ],
      ],
    });
  }
}
