import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../functions/platform/config.js';
import { HANDLERS } from '../../functions/wiring/handlers.js';
import { HANDLER_ENTRIES } from '../../lib/handler-entries.js';
import { logicalId, type SynthResult, synthStage } from './support/synth.js';

// biome-ignore lint/suspicious/noExplicitAny: synthesised CloudFormation JSON, checked by the assertions
type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };

let dev: SynthResult;
let functions: Record<string, Resource>;

beforeAll(() => {
  // The one synth that really bundles: proves each entry builds as an ES module.
  dev = synthStage('dev', { bundle: true });
  functions = Object.fromEntries(
    Object.entries(dev.template.findResources('AWS::Lambda::Function')).filter(
      ([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME !== undefined,
    ),
  ) as Record<string, Resource>;
});

const workerId = () => logicalId(dev.stack, dev.stack.worker.handler);
const queueArn = (construct: Parameters<typeof logicalId>[1]) => ({
  'Fn::GetAtt': [logicalId(dev.stack, construct), 'Arn'],
});

describe('export queue and worker', () => {
  it('moves a message to the dead-letter queue after 5 receives', () => {
    dev.template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: queueArn(dev.stack.worker.deadLetterQueue), maxReceiveCount: 5 },
    });
  });

  it('keeps a message invisible for at least 6 times the worker timeout', () => {
    const worker = functions[workerId()];
    const queue = dev.template.findResources('AWS::SQS::Queue')[logicalId(dev.stack, dev.stack.worker.queue)];

    expect(worker?.Properties.Timeout).toBe(900);
    expect(queue?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * 900);
  });

  it('encrypts both queues and refuses requests without TLS', () => {
    for (const queue of [dev.stack.worker.queue, dev.stack.worker.deadLetterQueue]) {
      const id = logicalId(dev.stack, queue);
      expect(dev.template.findResources('AWS::SQS::Queue')[id]?.Properties.SqsManagedSseEnabled).toBe(true);
      dev.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('consumes the queue one message at a time, reports batch item failures and caps concurrency', () => {
    dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: workerId() },
      EventSourceArn: queueArn(dev.stack.worker.queue),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: dev.config.worker.maxConcurrency },
    });
  });
});

describe('stale-job sweeper', () => {
  const sweeperId = () => logicalId(dev.stack, dev.stack.worker.sweeper);

  it('runs every 5 minutes from an enabled EventBridge rule that targets the sweeper', () => {
    const rule =
      dev.template.findResources('AWS::Events::Rule')[logicalId(dev.stack, dev.stack.worker.sweepRule)];

    expect(rule?.Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [expect.objectContaining({ Arn: { 'Fn::GetAtt': [sweeperId(), 'Arn'] } })],
    });
    dev.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [sweeperId(), 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.worker.sweepRule), 'Arn'] },
    });
  });

  it('can send messages to the export queue', () => {
    const role = dev.stack.worker.sweeper.role;
    if (!role) throw new Error('sweeper without role');

    dev.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(dev.stack, role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Action: Match.arrayWith(['sqs:SendMessage']),
            Resource: queueArn(dev.stack.worker.queue),
          }),
        ]),
      },
    });
    expect(functions[sweeperId()]?.Properties.Environment.Variables.EXPORT_QUEUE_URL).toEqual({
      Ref: logicalId(dev.stack, dev.stack.worker.queue),
    });
  });

  it("knows the queue's redrive limit and visibility timeout, and is not retried by Lambda", () => {
    const variables = functions[sweeperId()]?.Properties.Environment.Variables;
    const queue = dev.template.findResources('AWS::SQS::Queue')[logicalId(dev.stack, dev.stack.worker.queue)];

    expect(variables?.MAX_RECEIVE_COUNT).toBe('5');
    expect(variables?.QUEUE_VISIBILITY_TIMEOUT_SECONDS).toBe(String(queue?.Properties.VisibilityTimeout));
    dev.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: sweeperId() },
      MaximumRetryAttempts: 0,
    });
  });

  it('alarms when the sweeper fails three runs in a row', () => {
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: sweeperId() } }],
      EvaluationPeriods: 3,
      AlarmActions: [{ Ref: logicalId(dev.stack, dev.stack.monitoring.alarmTopic) }],
    });
  });
});

describe('export bucket', () => {
  const bucketId = () => logicalId(dev.stack, dev.stack.exportBucket.bucket);

  it('is private, encrypted and logs access to a separate bucket', () => {
    const bucket = dev.template.findResources('AWS::S3::Bucket')[bucketId()];

    expect(bucket?.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
      ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' },
    });
    expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket?.Properties.LoggingConfiguration.DestinationBucketName).toEqual({
      Ref: logicalId(dev.stack, dev.stack.exportBucket.accessLogsBucket),
    });
  });

  it('denies every request without TLS', () => {
    dev.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId() },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires API exports after the configured days and aborts incomplete multipart uploads after 1 day', () => {
    const rules =
      dev.template.findResources('AWS::S3::Bucket')[bucketId()]?.Properties.LifecycleConfiguration.Rules;

    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          Status: 'Enabled',
        }),
        expect.objectContaining({ Prefix: 'exports/', ExpirationInDays: dev.config.exports.expirationDays }),
      ]),
    );
  });

  it('is deleted with the dev stack, which does not retain data', () => {
    expect(dev.template.findResources('AWS::S3::Bucket')[bucketId()]?.DeletionPolicy).toBe('Delete');
  });
});

describe('functions', () => {
  it('creates one function per handler entry', () => {
    expect(Object.keys(functions)).toHaveLength(Object.keys(HANDLER_ENTRIES).length);
  });

  it('gives every function the house defaults', () => {
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_SERVICE_NAME: 'data-export',
            POWERTOOLS_METRICS_NAMESPACE: 'DataExport',
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    }
  });

  it('bundles every entry as a minified ES module that defines require for CommonJS dependencies', () => {
    const outdir = dev.app.outdir;
    for (const fn of Object.values(functions)) {
      const assetHash = String(fn.Properties.Code.S3Key).replace(/\.zip$/, '');
      const bundle = join(outdir, `asset.${assetHash}`, 'index.mjs');
      expect(existsSync(bundle), bundle).toBe(true);
      const code = readFileSync(bundle, 'utf8');
      expect(code.startsWith("import { createRequire as __createRequire } from 'node:module'")).toBe(true);
      expect(existsSync(`${bundle}.map`)).toBe(true);
    }
  });

  it('gives every handler the environment that functions/platform/config.ts requires', () => {
    // Tokens (ARNs, URLs resolved at deploy time) stand in as plausible strings.
    const resolved = (variables: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(variables).map(([key, value]) => [
          key,
          typeof value === 'string' ? value : 'https://resolved.example/x',
        ]),
      );
    const handlers = {
      ...dev.stack.api.handlers,
      exportWorker: dev.stack.worker.handler,
      sweepJobs: dev.stack.worker.sweeper,
    };
    for (const [name, fn] of Object.entries(handlers) as [
      keyof typeof HANDLERS,
      typeof dev.stack.worker.handler,
    ][]) {
      if (HANDLERS[name].needs.deps === 'none') continue;
      const env = resolved(functions[logicalId(dev.stack, fn)]?.Properties.Environment.Variables);
      const parsed = ConfigSchema.safeParse(env);
      expect(parsed.success, `${name}: ${parsed.error?.message}`).toBe(true);
      if (HANDLERS[name].needs.deps === 'api') expect(env.EXPORT_QUEUE_URL, name).toBeDefined();
    }
  });

  it('tells the worker the redrive limit of its queue, so the last receive marks the job failed', () => {
    expect(functions[workerId()]?.Properties.Environment.Variables.MAX_RECEIVE_COUNT).toBe('5');
  });

  it('passes secrets by ARN only, never their values', () => {
    for (const fn of Object.values(functions)) {
      const variables: Record<string, unknown> = fn.Properties.Environment.Variables;
      expect(Object.keys(variables)).not.toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^(DATABASE_URL|JWT_SECRET|LINK_SECRET|.*PASSWORD.*)$/),
        ]),
      );
      if ('LINK_SECRET_ARN' in variables) {
        expect(variables.LINK_SECRET_ARN).toEqual({ Ref: logicalId(dev.stack, dev.stack.linkSecret) });
      }
    }
  });

  it('places every function that reads Postgres in the database VPC, and only those', () => {
    const inVpc = Object.entries(functions)
      .filter(([, fn]) => fn.Properties.VpcConfig !== undefined)
      .map(([id]) => id);
    const outside = [
      dev.stack.api.authorizerFunction,
      dev.stack.api.handlers.openapi,
      dev.stack.api.handlers.getCatalogue,
    ].map((fn) => logicalId(dev.stack, fn));

    expect(inVpc.sort()).toEqual(
      Object.keys(functions)
        .filter((id) => !outside.includes(id))
        .sort(),
    );
    for (const id of inVpc) {
      expect(functions[id]?.Properties.Environment.Variables).toMatchObject({
        DATABASE_HOST: expect.anything(),
        DATABASE_USER: expect.stringMatching(/^data_export_(api|worker|sweeper)$/),
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      });
      expect(functions[id]?.Properties.Environment.Variables.DATABASE_SECRET_ARN).toBeUndefined();
    }
  });

  it('tells the worker where the API is, for the links it emails', () => {
    const apiUrl = {
      'Fn::Join': [
        '',
        [
          'https://',
          { Ref: logicalId(dev.stack, dev.stack.api.restApi) },
          '.execute-api.',
          { Ref: 'AWS::Region' },
          '.',
          { Ref: 'AWS::URLSuffix' },
          '/dev',
        ],
      ],
    };

    expect(functions[workerId()]?.Properties.Environment.Variables.PUBLIC_API_URL).toEqual(apiUrl);
  });

  it('creates the link-signing secret with a generated value', () => {
    dev.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ PasswordLength: 64 }),
    });
  });
});

describe('alarms and dashboard', () => {
  const topic = () => ({ Ref: logicalId(dev.stack, dev.stack.monitoring.alarmTopic) });

  it('alarms as soon as the dead-letter queue holds a message', () => {
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.worker.deadLetterQueue), 'QueueName'] },
        },
      ],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [topic()],
    });
  });

  it('alarms on worker errors', () => {
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: workerId() } }],
      Threshold: 0,
      AlarmActions: [topic()],
    });
  });

  it('alarms on failed exports of any kind and format', () => {
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: [
        Match.objectLike({
          Expression:
            'SELECT SUM(ExportsFailed) FROM SCHEMA("DataExport", format, kind, service) WHERE service = \'data-export\'',
        }),
      ],
      Threshold: 0,
      AlarmActions: [topic()],
    });
  });

  it('encrypts the alarm topic with a rotated key that CloudWatch may use', () => {
    dev.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    dev.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it('graphs every export metric on the dashboard', () => {
    const dashboard = Object.values(dev.template.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);

    for (const metric of [
      'ExportsCompleted',
      'ExportsFailed',
      'ExportDurationMs',
      'RowsExported',
      'BytesWritten',
    ]) {
      expect(body).toContain(`MetricName=\\\\\\"${metric}\\\\\\"`);
    }
  });
});

describe('email', () => {
  it('creates the SES identity of the configured sender domain', () => {
    dev.template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'example.com' });
  });
});
