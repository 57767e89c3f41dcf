import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../functions/platform/service-identity.js';
import type { DatabaseAccess, FunctionNetwork } from './database-access.js';
import { ESM_REQUIRE_BANNER, EXTERNAL_MODULES, LAMBDA_NODE_TARGET, MAIN_FIELDS } from './export-bundling.js';
import type { ExportMailSender } from './export-mail-sender.js';
import { PROJECT_ROOT } from './handler-entries.js';
import { nagResourceText } from './nag-findings.js';

export interface ExportFunctionProps {
  /** Absolute path of the handler entry (see `handlerEntryPath`). */
  readonly entry: string;
  /** @default - none */
  readonly description?: string;
  /**
   * @default Duration.seconds(29), the API Gateway integration limit
   */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /**
   * VPC placement; required for `bindDatabase`.
   * @default - not in a VPC
   */
  readonly network?: FunctionNetwork;
  /**
   * Plain settings. Resource names and ARNs go through the `bindX()` helpers instead, so that an
   * env var never exists without its grant.
   * @default - only the house defaults
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Removal policy of the function's log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** `POWERTOOLS_LOG_LEVEL`. @default 'INFO' */
  readonly logLevel?: string;
  /** @default - unreserved */
  readonly reservedConcurrentExecutions?: number;
}

/** Which object access a function gets on the export prefixes. */
/**
 * Object access on given prefixes: `read` for downloads, `write` for exports, `discard` to remove
 * the objects of attempts that are no job's result (the sweeper, after failing an abandoned job).
 */
export type ExportBucketAccess = 'read' | 'write' | 'discard' | 'readBack';

/** The CA bundle of Lambda's Node.js runtime, which includes the RDS certificate authorities. */
export const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/**
 * The house Lambda: a `NodejsFunction` with the service's defaults in one place (ESM bundle,
 * minified, source maps, arm64, Node.js 24, active tracing, JSON logs in a log group with
 * retention, Powertools environment) and `bindX()` helpers that add an env var together with the
 * IAM grant it needs. Each helper acknowledges exactly the cdk-nag findings its grant causes.
 */
export class ExportFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ExportFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(29),
      tracing: Tracing.ACTIVE,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      ...(props.network && {
        vpc: props.network.vpc,
        vpcSubnets: props.network.vpcSubnets,
        securityGroups: props.network.securityGroups,
      }),
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_NODE_TARGET,
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: [...MAIN_FIELDS],
        banner: ESM_REQUIRE_BANNER,
        externalModules: [...EXTERNAL_MODULES],
        logLevel: LogLevel.WARNING,
      },
    });

    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWS managed policy limited to creating log streams and putting log events; the function writes only to its own log group.',
    });
    if (props.network) {
      Validations.of(this).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'AWS managed policy that lets Lambda manage the ENIs of a function placed in the database VPC.',
      });
    }
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords do not support resource-level permissions.',
    });
  }

  /**
   * Database access as `login` (one of the service's least-privilege roles): the endpoint in
   * `DATABASE_HOST`/`PORT`/`NAME`, the login in `DATABASE_USER`, the IAM grant to connect as it (no
   * password exists), and the CA bundle that verifies the server's certificate. The function
   * must be in the database's network.
   */
  public bindDatabase(database: DatabaseAccess, login: string): this {
    if (!this.isBoundToVpc) {
      throw new Error(
        `${this.node.path}: bindDatabase needs the function in the database VPC (props.network)`,
      );
    }
    this.addEnvironment('DATABASE_HOST', database.endpoint.host);
    this.addEnvironment('DATABASE_PORT', database.endpoint.port);
    this.addEnvironment('DATABASE_NAME', database.endpoint.databaseName);
    this.addEnvironment('DATABASE_USER', login);
    // Lambda's Node.js runtime ships the Amazon CA bundle (RDS included) but loads it only on request.
    this.addEnvironment('NODE_EXTRA_CA_CERTS', LAMBDA_CA_BUNDLE);
    database.grantConnect(this, login);
    return this;
  }

  /**
   * `EXPORT_BUCKET` and, when `access` is given, object access under `prefixes` only: `read` is
   * `s3:GetObject` (presigned downloads, existence checks) plus `s3:ListBucket`, without which S3
   * answers 403 instead of 404 for an object the lifecycle rule already expired; `write` is
   * `s3:PutObject`, `s3:AbortMultipartUpload` (streamed multipart uploads) and `s3:DeleteObject`
   * (objects of attempts that did not win); `discard` is `s3:DeleteObject` only; `readBack` is
   * `s3:GetObject` alone (see {@link grantReadBack}).
   */
  public bindExportBucket(
    bucket: IBucket,
    access?: ExportBucketAccess,
    prefixes: readonly string[] = [],
  ): this {
    this.addEnvironment('EXPORT_BUCKET', bucket.bucketName);
    return access ? this.grantObjects(bucket.bucketArn, access, prefixes) : this;
  }

  /**
   * `s3:GetObject` under `prefixes`, without `s3:ListBucket`: the worker reads back a chunk's file
   * that it wrote across invocations, to take its SHA-256 (a digest's state cannot be saved).
   */
  public grantReadBack(bucket: IBucket, prefixes: readonly string[]): this {
    return this.grantObjects(bucket.bucketArn, 'readBack', prefixes);
  }

  /**
   * Object access to a scheduled export destination outside the export bucket (a catalogue entry
   * with its own bucket). No env var: the worker reads the destination from the catalogue.
   */
  public bindDestinationBucket(bucketName: string, prefixes: readonly string[]): this {
    const arn = Stack.of(this).formatArn({ service: 's3', region: '', account: '', resource: bucketName });
    return this.grantObjects(arn, 'write', prefixes);
  }

  /**
   * `EXPORT_QUEUE_URL` and, with `access` `'send'`, `sqs:SendMessage` (plus the attribute reads the
   * SDK needs) on that queue only.
   */
  public bindExportQueue(queue: IQueue, access?: 'send'): this {
    this.addEnvironment('EXPORT_QUEUE_URL', queue.queueUrl);
    if (access === 'send') queue.grantSendMessages(this);
    return this;
  }

  /** `LINK_SECRET_ARN` (HMAC key of emailed link tokens) and read access to that secret. */
  public bindLinkSecret(secret: ISecret): this {
    this.addEnvironment('LINK_SECRET_ARN', secret.secretArn);
    secret.grantRead(this);
    return this;
  }

  /** `MAIL_FROM` and `ses:SendEmail` on the sender's SES identity only. */
  public bindMailSender(sender: ExportMailSender): this {
    this.addEnvironment('MAIL_FROM', sender.fromAddress);
    sender.identity.grant(this, 'ses:SendEmail');
    return this;
  }

  /** `EVENT_BUS_NAME` and `events:PutEvents` on that bus only (the outcome events). */
  public bindEventBus(bus: IEventBus): this {
    this.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    bus.grantPutEventsTo(this);
    return this;
  }

  /** `WEBHOOK_QUEUE_URL` and `sqs:SendMessage` on that queue only (test events). */
  public bindWebhookQueue(queue: IQueue): this {
    this.addEnvironment('WEBHOOK_QUEUE_URL', queue.queueUrl);
    queue.grantSendMessages(this);
    return this;
  }

  /** `WEBHOOK_SECRET_KEY_ARN` (seals webhook signing secrets) and read access to that secret. */
  public bindWebhookSecretKey(secret: ISecret): this {
    this.addEnvironment('WEBHOOK_SECRET_KEY_ARN', secret.secretArn);
    secret.grantRead(this);
    return this;
  }

  private grantObjects(bucketArn: string, access: ExportBucketAccess, prefixes: readonly string[]): this {
    if (prefixes.length === 0) throw new Error(`${this.node.path}: object access needs at least one prefix`);
    const resources = prefixes.map((prefix) => {
      if (!prefix.endsWith('/') || prefix.startsWith('/') || prefix.includes('*')) {
        throw new Error(`${this.node.path}: prefix '${prefix}' must look like 'some/path/' (no wildcard)`);
      }
      return `${bucketArn}/${prefix}*`;
    });
    const actions = {
      read: ['s3:GetObject'],
      write: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
      discard: ['s3:DeleteObject'],
      readBack: ['s3:GetObject'],
    }[access];
    this.addToRolePolicy(new PolicyStatement({ actions, resources }));
    if (access === 'read')
      this.addToRolePolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketArn] }));
    for (const resource of resources) {
      Validations.of(this).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceText(this, resource)}]`,
        reason: `Object keys are generated per job and per run date; ${access} access is limited to this export prefix, not the bucket.`,
      });
    }
    return this;
  }
}
