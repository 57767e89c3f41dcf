import type { Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_ROLES } from '../../db/service-roles.js';
import { SCHEDULES } from '../../functions/domain/schedules/schedule-catalogue.js';
import { HANDLERS, type HandlerName } from '../../functions/wiring/handlers.js';
import type { ApiHandlerName } from '../../lib/export-api.js';
import { logicalId, type SynthResult, synthStage } from './support/synth.js';

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

let dev: SynthResult;

beforeAll(() => {
  dev = synthStage('dev');
});

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every Allow statement of the identity policies attached to a function's role. */
function statementsOf(stack: Stack, fn: IFunction): Statement[] {
  if (!fn.role) throw new Error('function without role');
  const roleId = logicalId(stack, fn.role);
  return Object.values(dev.template.findResources('AWS::IAM::Policy'))
    .filter((policy) =>
      asArray(policy.Properties.Roles).some((role: { Ref?: string }) => role.Ref === roleId),
    )
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
    .filter((statement) => statement.Effect === 'Allow');
}

/** Actions a function may perform on resources, flattened and sorted. */
function actionsOf(fn: IFunction, service: string): string[] {
  return statementsOf(dev.stack, fn)
    .flatMap((statement) => asArray(statement.Action))
    .filter((action) => action.startsWith(`${service}:`))
    .sort();
}

function allFunctions(): Array<[string, IFunction]> {
  return [
    ['authorizer', dev.stack.api.authorizerFunction],
    ...Object.entries(dev.stack.api.handlers),
    ['exportWorker', dev.stack.worker.handler],
    ['sweepJobs', dev.stack.worker.sweeper],
    ['webhookDelivery', dev.stack.webhooks.handler],
  ];
}

/** Object ARNs `arn-of-export-bucket/prefix*` for each prefix the service writes under. */
function exportObjectArns(): unknown[] {
  const bucketArn = { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.exportBucket.bucket), 'Arn'] };
  const prefixes = ['exports/', ...SCHEDULES.map((schedule) => schedule.destination.prefix)];
  return prefixes.map((prefix) => ({ 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] }));
}

/**
 * Every identity policy but the console upload's: that role belongs to CDK's bucket deployment,
 * whose grants CDK writes (checked on their own below).
 */
function servicePolicies() {
  const uploader = logicalId(dev.stack, dev.stack.console.deployment.role);
  return Object.values(dev.template.findResources('AWS::IAM::Policy')).filter(
    (policy) => !asArray(policy.Properties.Roles).some((role: { Ref?: string }) => role.Ref === uploader),
  );
}

describe('least privilege', () => {
  it('lets the worker write objects only under the export and scheduled prefixes, read back only API export objects, and nothing else on S3', () => {
    const s3 = statementsOf(dev.stack, dev.stack.worker.handler).filter((s) =>
      asArray(s.Action).some((a) => a.startsWith('s3:')),
    );
    const write = s3.find((s) => asArray(s.Action).includes('s3:PutObject'));
    const readBack = s3.find((s) => asArray(s.Action).includes('s3:GetObject'));

    expect(s3).toHaveLength(2);
    // Delete: the objects of attempts that did not win, and of jobs that failed or were cancelled.
    expect(asArray(write?.Action).sort()).toEqual([
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:PutObject',
    ]);
    expect(asArray(write?.Resource)).toHaveLength(exportObjectArns().length);
    expect(asArray(write?.Resource)).toEqual(expect.arrayContaining(exportObjectArns()));
    // The files of chunks written across invocations, read back for their SHA-256; no listing.
    expect(asArray(readBack?.Action)).toEqual(['s3:GetObject']);
    expect(asArray(readBack?.Resource)).toEqual([exportObjectArns()[0]]);
  });

  it('lets only the download handler read export objects, on the same prefixes (and the worker its chunk files)', () => {
    const readers = allFunctions().filter(
      ([name, fn]) => name !== 'exportWorker' && actionsOf(fn, 's3').includes('s3:GetObject'),
    );
    const download = dev.stack.api.handlers.downloadJob;
    const statements = statementsOf(dev.stack, download);
    const getObject = statements.find((s) => asArray(s.Action).includes('s3:GetObject'));
    const listBucket = statements.find((s) => asArray(s.Action).includes('s3:ListBucket'));

    expect(readers.map(([name]) => name)).toEqual(['downloadJob']);
    expect(actionsOf(download, 's3')).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(asArray(getObject?.Resource)).toHaveLength(exportObjectArns().length);
    expect(asArray(getObject?.Resource)).toEqual(expect.arrayContaining(exportObjectArns()));
    // On the bucket itself, so that a HEAD of an expired object answers 404 rather than 403.
    expect(asArray(listBucket?.Resource)).toEqual([
      { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.exportBucket.bucket), 'Arn'] },
    ]);
  });

  it('lets only the handlers that create jobs, the worker that queues chunks and the sweeper that re-enqueues jobs send to the export queue', () => {
    const exportQueue = { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.worker.queue), 'Arn'] };
    const senders = allFunctions()
      .filter(([, fn]) =>
        statementsOf(dev.stack, fn).some(
          (s) =>
            asArray(s.Action).includes('sqs:SendMessage') &&
            asArray(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(exportQueue)),
        ),
      )
      .map(([name]) => name)
      .sort();

    expect(senders).toEqual(
      [
        ...(['bulkExport', 'runSchedule', 'userExport'] satisfies ApiHandlerName[]),
        'exportWorker',
        'sweepJobs',
      ].sort(),
    );
  });

  it('lets the sweeper send to the export queue, read or write no object, and delete only API export objects', () => {
    const queueArn = { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.worker.queue), 'Arn'] };
    const send = statementsOf(dev.stack, dev.stack.worker.sweeper).filter((s) =>
      asArray(s.Action).includes('sqs:SendMessage'),
    );

    expect(send.flatMap((s) => asArray(s.Resource))).toEqual([queueArn]);
    expect(actionsOf(dev.stack.worker.sweeper, 'sqs')).not.toContain('sqs:ReceiveMessage');
    expect(actionsOf(dev.stack.worker.sweeper, 's3')).toEqual(['s3:DeleteObject']);
    const discard = statementsOf(dev.stack, dev.stack.worker.sweeper).find((s) =>
      asArray(s.Action).includes('s3:DeleteObject'),
    );
    expect(asArray(discard?.Resource)).toEqual([exportObjectArns()[0]]);
  });

  it('lets only the worker and the sweeper (failure emails) send email, from the configured SES identity only', () => {
    const mailers = allFunctions().filter(([, fn]) => actionsOf(fn, 'ses').length > 0);

    expect(mailers.map(([name]) => name)).toEqual(['exportWorker', 'sweepJobs']);
    for (const fn of [dev.stack.worker.handler, dev.stack.worker.sweeper]) {
      const statement = statementsOf(dev.stack, fn).find((s) => asArray(s.Action).includes('ses:SendEmail'));
      expect(actionsOf(fn, 'ses')).toEqual(['ses:SendEmail']);
      expect(JSON.stringify(statement?.Resource)).toContain(
        `":identity/",{"Ref":"${logicalId(dev.stack, dev.stack.mailSender.identity)}"}`,
      );
    }
  });

  it('gives the link secret only to the download handler, the worker and the sweeper; no database secret to anyone', () => {
    const linkSecret = { Ref: logicalId(dev.stack, dev.stack.linkSecret) };
    const linkHolders = ['downloadJob', 'exportWorker', 'sweepJobs'];
    // The key that seals webhook signing secrets: the route that registers them and the delivery.
    const webhookKey = { Ref: logicalId(dev.stack, dev.stack.webhooks.secretKey) };
    const webhookKeyHolders = ['registerWebhook', 'webhookDelivery'];
    for (const [name, fn] of allFunctions()) {
      const resources = statementsOf(dev.stack, fn)
        .filter((s) => asArray(s.Action).includes('secretsmanager:GetSecretValue'))
        .flatMap((s) => asArray(s.Resource));
      const resource = dev.template.findResources('AWS::Lambda::Function')[logicalId(dev.stack, fn)];
      const variables = Object.keys(resource?.Properties.Environment?.Variables ?? {});
      expect(variables, name).toContain('POWERTOOLS_SERVICE_NAME');
      if (linkHolders.includes(name)) expect(resources, name).toEqual([linkSecret]);
      else if (webhookKeyHolders.includes(name)) expect(resources, name).toEqual([webhookKey]);
      else {
        expect(resources, name).toEqual([]);
        expect(variables, name).not.toContain('LINK_SECRET_ARN');
      }
    }
  });

  it('lets each database function connect as its own least-privilege login, and as no other', () => {
    for (const [name, fn] of allFunctions()) {
      const connects = statementsOf(dev.stack, fn).filter((s) =>
        asArray(s.Action).includes('rds-db:connect'),
      );
      const resource = dev.template.findResources('AWS::Lambda::Function')[logicalId(dev.stack, fn)];
      const user = resource?.Properties.Environment?.Variables?.DATABASE_USER;
      const login = HANDLERS[name as HandlerName].needs.login;
      if (!login) {
        expect(connects, name).toEqual([]);
        continue;
      }
      // Written out independently of the declaration: the worker, the sweeper and the delivery
      // have logins of their own, every request function the API's.
      const expected: Record<string, string> = {
        exportWorker: 'data_export_worker',
        sweepJobs: 'data_export_sweeper',
        webhookDelivery: 'data_export_sweeper',
      };
      expect(user, name).toBe(expected[name] ?? 'data_export_api');
      expect(user, name).toBe(SERVICE_ROLES[login]);
      expect(connects, name).toHaveLength(1);
      expect(JSON.stringify(connects[0]!.Resource), name).toContain(`:dbuser:`);
      expect(JSON.stringify(connects[0]!.Resource), name).toContain(`/${user}`);
    }
  });

  it('grants no wildcard action in any identity policy of the service', () => {
    const wildcard = servicePolicies()
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .flatMap((statement) => asArray(statement.Action))
      .filter((action) => action.includes('*'));

    expect(wildcard).toEqual([]);
  });

  it('uses Resource "*" only for the X-Ray actions, which support no resource-level permissions', () => {
    const onEverything = servicePolicies()
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((statement) => asArray(statement.Resource).includes('*'))
      .flatMap((statement) => asArray(statement.Action));

    expect(new Set(onEverything)).toEqual(new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']));
  });
});

describe('the console upload (CDK bucket deployment)', () => {
  it('reads only the CDK asset bucket, writes only the console bucket, and invalidates CloudFront', () => {
    const uploader = logicalId(dev.stack, dev.stack.console.deployment.role);
    const statements = Object.values(dev.template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        asArray(policy.Properties.Roles).some((role: { Ref?: string }) => role.Ref === uploader),
      )
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
    const consoleBucket = logicalId(dev.stack, dev.stack.console.bucket);

    for (const statement of statements) {
      const actions = asArray(statement.Action);
      const resources = JSON.stringify(statement.Resource);
      if (actions.some((a) => a.startsWith('cloudfront:'))) {
        expect(actions.sort()).toEqual(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']);
      } else if (actions.some((a) => a.startsWith('s3:Put') || a.startsWith('s3:Delete'))) {
        expect(resources).toContain(consoleBucket);
        expect(resources).not.toContain('assets');
      } else {
        expect(
          actions.every((a) => /^s3:(Get|List)/.test(a)),
          actions.join(),
        ).toBe(true);
        expect(resources).toMatch(/cdk-\w+-assets-/);
      }
    }
    expect(statements).toHaveLength(3);
  });
});

describe('webhooks and events', () => {
  it('lets only the worker and the sweeper publish events, on the service bus only', () => {
    const bus = { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.webhooks.eventBus), 'Arn'] };
    const publishers = allFunctions().filter(([, fn]) => actionsOf(fn, 'events').length > 0);

    expect(publishers.map(([name]) => name)).toEqual(['exportWorker', 'sweepJobs']);
    for (const [, fn] of publishers) {
      const put = statementsOf(dev.stack, fn).filter((s) => asArray(s.Action).includes('events:PutEvents'));
      expect(put.flatMap((s) => asArray(s.Resource))).toEqual([bus]);
    }
  });

  it('lets only the test route and the delivery send to the webhook queue, and only the delivery consume it', () => {
    const queue = { 'Fn::GetAtt': [logicalId(dev.stack, dev.stack.webhooks.queue), 'Arn'] };
    const on = (action: string) =>
      allFunctions()
        .filter(([, fn]) =>
          statementsOf(dev.stack, fn).some(
            (s) =>
              asArray(s.Action).includes(action) &&
              asArray(s.Resource).some((r) => JSON.stringify(r) === JSON.stringify(queue)),
          ),
        )
        .map(([name]) => name)
        .sort();

    expect(on('sqs:SendMessage')).toEqual(['testWebhook', 'webhookDelivery']);
    expect(on('sqs:ReceiveMessage')).toEqual(['webhookDelivery']);
    expect(on('sqs:ChangeMessageVisibility')).toEqual(['webhookDelivery']);
  });
});
