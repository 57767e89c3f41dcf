import { App, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULES } from '../../functions/domain/schedules/schedule-catalogue.js';
import { createDataExportApp } from '../../lib/data-export-app.js';
import type { StageName } from '../../lib/stage-config.js';
import { logicalId, type SynthResult, stageContext, synthStage } from './support/synth.js';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every rule acknowledged anywhere in the tree, where and why. */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** Unacknowledged AwsSolutions findings (errors and warnings), one line each. */
function findings(root: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(root);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (r) => `${violation.ruleName} at ${r.constructPath}: ${violation.description}`,
    ),
  );
}

describe.each<StageName>(['dev', 'prod'])('cdk-nag AwsSolutions on the %s stage', (stage) => {
  let result: SynthResult;

  beforeAll(() => {
    result = synthStage(stage);
  });

  it('has no unacknowledged finding, error or warning', () => {
    expect(findings(result.app)).toEqual([]);
  });

  it('synthesises with cdk-nag registered as the app registers it', () => {
    const context = { ...stageContext(stage), 'aws:cdk:bundling-stacks': [] };
    const { app } = createDataExportApp({ context, nag: true });

    expect(() => app.synth()).not.toThrow();
  });

  it('leaves no error or warning annotation', () => {
    expect(Annotations.fromStack(result.stack).findError('*', Match.anyValue())).toEqual([]);
    expect(Annotations.fromStack(result.stack).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('acknowledges each finding on its own resource, with a specific reason', () => {
    const nag = acknowledgements(result.app).filter((a) => a.id.startsWith('AwsSolutions-'));

    expect(nag.length).toBeGreaterThan(0);
    expect(nag.map((a) => a.id)).toEqual(
      expect.arrayContaining([
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-APIG4',
        'AwsSolutions-COG4',
        'AwsSolutions-SMG4',
        'AwsSolutions-S1',
      ]),
    );
    for (const a of nag) {
      expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThanOrEqual(40);
      expect(a.path.split('/').length, `${a.id} must not be acknowledged stack-wide`).toBeGreaterThan(1);
    }
  });

  it('acknowledges wildcard resources only for X-Ray, the export prefixes and the console upload', () => {
    const prefixes = ['exports/', ...SCHEDULES.map((s) => s.destination.prefix)];
    const consoleBucket = `<${logicalId(result.stack, result.stack.console.bucket)}.Arn>/*`;
    const bootstrapAssets = /^arn:<AWS::Partition>:s3:::cdk-\w+-assets-<AWS::AccountId>-<AWS::Region>\/\*$/;
    const wildcards = acknowledgements(result.app)
      .map((a) => ({ path: a.path, resource: /^AwsSolutions-IAM5\[Resource::(.*)\]$/.exec(a.id)?.[1] }))
      .filter((a): a is { path: string; resource: string } => a.resource !== undefined);

    expect(wildcards.length).toBeGreaterThan(0);
    for (const { path, resource } of wildcards) {
      const consoleUpload =
        path.endsWith('/Console/Deployment/Role') &&
        (resource === consoleBucket || bootstrapAssets.test(resource));
      const allowed =
        resource === '*' || prefixes.some((p) => resource.endsWith(`.Arn>/${p}*`)) || consoleUpload;
      expect(allowed, `${resource} at ${path}`).toBe(true);
    }
  });

  it('needs no acknowledgement of a missing WAF: every stage has one', () => {
    const waf = acknowledgements(result.app).filter((a) => a.id === 'AwsSolutions-APIG3');
    expect(waf).toHaveLength(0);
  });
});

describe('the nag gate itself', () => {
  it('stops synthesis of the real app once an unacknowledged finding is added', () => {
    const context = { ...stageContext('dev'), 'aws:cdk:bundling-stacks': [] };
    const { app, stack } = createDataExportApp({ context, nag: true });
    new Bucket(stack, 'UnreviewedBucket');

    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });

  it('reports findings on a construct nobody acknowledged', () => {
    const app = new App();
    new Bucket(new Stack(app, 'Control'), 'Plain');

    expect(findings(app)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^AwsSolutions-S1 at/),
        expect.stringMatching(/^AwsSolutions-S10 at/),
      ]),
    );
  });

  it('counts an acknowledgement only for the exact finding it names', () => {
    const app = new App();
    const role = new Role(new Stack(app, 'Control'), 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    role.addToPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/other/*'] }),
    );
    Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'X-Ray only' });

    expect(findings(app)).toEqual([
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::arn:aws:s3:::bucket\/other\/\*\]/),
    ]);
  });
});
