import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { SERVICE_ROLES } from '../db/service-roles.js';
import { API_BASE_PATH } from '../functions/domain/access/api-paths.js';
import { API_EXPORT_PREFIX } from '../functions/domain/jobs/export-job.js';
import type { HandlerNeeds } from '../functions/wiring/handler-needs.js';
import { HANDLERS } from '../functions/wiring/handlers.js';
import { DatabaseAccess } from './database-access.js';
import { type ApiHandlerName, ExportApi } from './export-api.js';
import { ExportBucket } from './export-bucket.js';
import { ExportConsole } from './export-console.js';
import type { ExportFunction } from './export-function.js';
import { ExportMailSender } from './export-mail-sender.js';
import { ExportMonitoring } from './export-monitoring.js';
import { ExportWebhooks } from './export-webhooks.js';
import { ExportWorker } from './export-worker.js';
import { ScheduledExports, type ScheduleEntry } from './scheduled-exports.js';
import type { StageConfig } from './stage-config.js';

export interface DataExportStackProps extends StackProps {
  /** Validated settings of the stage (see `loadStageConfig`). */
  readonly config: StageConfig;
  /** The scheduled export catalogue (`SCHEDULES`). */
  readonly schedules: readonly ScheduleEntry[];
}

/**
 * The whole Data Export Service on AWS: REST API with usage plans and a JWT authorizer, request
 * handlers, the worker and the sweeper in the database VPC, the export queue with its DLQ, one
 * EventBridge rule per scheduled export and one for the sweeper, the export bucket, the SES sender, alarms and a dashboard,
 * and the web console behind CloudFront.
 */
export class DataExportStack extends Stack {
  public readonly database: DatabaseAccess;
  public readonly exportBucket: ExportBucket;
  public readonly linkSecret: Secret;
  public readonly mailSender: ExportMailSender;
  public readonly api: ExportApi;
  public readonly worker: ExportWorker;
  public readonly webhooks: ExportWebhooks;
  public readonly scheduledExports: ScheduledExports;
  public readonly monitoring: ExportMonitoring;
  public readonly console: ExportConsole;

  constructor(scope: Construct, id: string, props: DataExportStackProps) {
    super(scope, id, props);
    const config = props.config;
    const removalPolicy = config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const common = {
      logLevel: config.logLevel,
      logRetention: config.logRetentionDays,
      removalPolicy,
    };

    this.database = new DatabaseAccess(
      this,
      'Database',
      config.database.mode === 'existing'
        ? { existing: config.database, removalPolicy }
        : { create: { ...config.database, flowLogRetention: config.logRetentionDays }, removalPolicy },
    );

    const ownPrefixes = props.schedules
      .filter((s) => s.destination.bucket === null)
      .map((s) => s.destination.prefix);
    this.exportBucket = new ExportBucket(this, 'ExportBucket', {
      exportExpiration: Duration.days(config.exports.expirationDays),
      scheduledPrefixes: ownPrefixes,
      scheduledExpiration:
        config.exports.scheduledExpirationDays === undefined
          ? undefined
          : Duration.days(config.exports.scheduledExpirationDays),
      removalPolicy,
    });

    this.linkSecret = new Secret(this, 'LinkSecret', {
      description: 'HMAC key that signs the download links emailed by the data export service',
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(this.linkSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Rotating the link-signing key invalidates every emailed download link still within its TTL; it is rotated by hand (see docs/deployment.md), not on a schedule.',
    });

    this.mailSender = new ExportMailSender(this, 'MailSender', {
      fromAddress: config.mail.from,
      identityName: config.mail.identity,
      createIdentity: config.mail.createIdentity,
    });

    const settings = {
      JWT_JWKS_URL: config.jwt.jwksUrl,
      JWT_ISSUER: config.jwt.issuer,
      JWT_AUDIENCE: config.jwt.audience,
      RATE_LIMIT_MAX: String(config.exports.rateLimitMax),
      RATE_LIMIT_WINDOW_SECONDS: String(config.exports.rateLimitWindowSeconds),
      INLINE_LIMIT_BYTES: String(config.exports.inlineLimitBytes),
      LINK_TTL_SECONDS: String(config.exports.linkTtlSeconds),
    };

    this.api = new ExportApi(this, 'Api', {
      ...common,
      stageName: config.stage,
      namePrefix: `data-export-${config.stage}`,
      usagePlans: config.api.usagePlans,
      stageThrottle: config.api.stageThrottle,
      authorizerCacheTtl: Duration.seconds(config.api.authorizerCacheSeconds),
      jwt: config.jwt,
      network: this.database.network,
      waf: config.api.waf,
      publicRouteConcurrency: config.api.publicRouteConcurrency,
      cloudWatchRole: config.api.cloudWatchRole,
      publicUrl: config.api.publicUrl,
      environment: settings,
    });
    const withPublicUrl = { ...settings, PUBLIC_API_URL: this.api.publicUrl };
    for (const handler of Object.values(this.api.handlers))
      handler.addEnvironment('PUBLIC_API_URL', this.api.publicUrl);

    this.worker = new ExportWorker(this, 'Worker', {
      ...common,
      timeout: Duration.seconds(config.worker.timeoutSeconds),
      memorySize: config.worker.memoryMb,
      maxConcurrency: config.worker.maxConcurrency,
      batchSize: config.worker.batchSize,
      chunkRows: config.worker.chunkRows,
      network: this.database.network,
      environment: withPublicUrl,
    });

    this.webhooks = new ExportWebhooks(this, 'Webhooks', {
      ...common,
      network: this.database.network,
    });
    for (const [name, handler] of Object.entries(this.api.handlers) as [ApiHandlerName, ExportFunction][]) {
      this.bind(handler, HANDLERS[name].needs);
    }
    this.bind(this.worker.handler, HANDLERS.exportWorker.needs);
    this.bind(this.worker.sweeper, HANDLERS.sweepJobs.needs);
    this.bind(this.webhooks.handler, HANDLERS.webhookDelivery.needs);
    for (const schedule of props.schedules) {
      const bucket = schedule.destination.bucket;
      if (bucket !== null) this.worker.handler.bindDestinationBucket(bucket, [schedule.destination.prefix]);
    }

    this.scheduledExports = new ScheduledExports(this, 'ScheduledExports', {
      schedules: props.schedules,
      queue: this.worker.queue,
      enabled: config.schedules.enabled,
    });

    this.monitoring = new ExportMonitoring(this, 'Monitoring', {
      queue: this.worker.queue,
      deadLetterQueue: this.worker.deadLetterQueue,
      worker: this.worker.handler,
      workerTimeout: Duration.seconds(config.worker.timeoutSeconds),
      sweeper: this.worker.sweeper,
      api: this.api.restApi,
      alarmEmail: config.alarms.email,
      removalPolicy,
    });

    this.console = new ExportConsole(this, 'Console', { api: this.api.restApi, removalPolicy });

    new CfnOutput(this, 'ConsoleUrl', {
      description: 'The web console (static files and /api/export/* on one CloudFront origin)',
      value: this.console.url,
    });
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the routes',
      value: `${this.api.restApi.url}${API_BASE_PATH.slice(1)}`,
    });
    new CfnOutput(this, 'ApiKeyIds', {
      description: 'API key ids; `aws apigateway get-api-key --include-value --api-key <id>` shows a value',
      value: this.api.apiKeys.map((key) => key.keyId).join(','),
    });
    new CfnOutput(this, 'ExportBucketName', { value: this.exportBucket.bucket.bucketName });
    new CfnOutput(this, 'ExportQueueUrl', { value: this.worker.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.worker.deadLetterQueue.queueUrl });
    this.webhooks.deadLetterAlarm.addAlarmAction(new SnsAction(this.monitoring.alarmTopic));
    new CfnOutput(this, 'EventBusName', { value: this.webhooks.eventBus.eventBusName });
    new CfnOutput(this, 'WebhookDeadLetterQueueUrl', { value: this.webhooks.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn });
    if (this.database.masterSecret) {
      new CfnOutput(this, 'DatabaseSecretArn', {
        description: 'Master credentials of the created cluster: for `npm run migrate` only',
        value: this.database.masterSecret.secretArn,
      });
    }
    if (this.database.cluster) {
      new CfnOutput(this, 'DatabaseEndpoint', { value: this.database.cluster.clusterEndpoint.socketAddress });
    }
  }

  /** Grants a function exactly what its declaration says it needs (`functions/wiring/handlers.ts`). */
  private bind(handler: ExportFunction, needs: HandlerNeeds): void {
    if (needs.login) handler.bindDatabase(this.database, SERVICE_ROLES[needs.login]);
    if (needs.deps !== 'api' && needs.deps !== 'worker') return;
    // Only API exports leave objects to discard: a scheduled destination holds its last good run.
    const prefixes = needs.objects === 'discard' ? [API_EXPORT_PREFIX] : this.exportBucket.prefixes;
    handler.bindExportBucket(this.exportBucket.bucket, needs.objects, prefixes);
    if (needs.readBack) handler.grantReadBack(this.exportBucket.bucket, [API_EXPORT_PREFIX]);
    if (needs.linkSecret) handler.bindLinkSecret(this.linkSecret);
    if (needs.deps === 'api' || needs.send)
      handler.bindExportQueue(this.worker.queue, needs.send ? 'send' : undefined);
    if (needs.mail) handler.bindMailSender(this.mailSender);
    if (needs.events) handler.bindEventBus(this.webhooks.eventBus);
    if (needs.webhookQueue) handler.bindWebhookQueue(this.webhooks.queue);
    if (needs.webhookKey) handler.bindWebhookSecretKey(this.webhooks.secretKey);
  }
}
