import { readFileSync } from 'node:fs';
import { CfnResource, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { createDataExportApp, type DataExportApp } from '../../../lib/data-export-app.js';
import type { StageName } from '../../../lib/stage-config.js';

type Context = Record<string, unknown> & { stages: Record<string, Record<string, unknown>> };

/** The context of cdk.json: tests synthesise the settings that ship. */
export const CDK_JSON_CONTEXT: Context = JSON.parse(
  readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8'),
).context;

/** Ids of an existing VPC and database, as an operator puts them in context for `prod`. */
export const EXISTING_DATABASE = {
  mode: 'existing',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  privateSubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60003'],
  host: 'learning-proxy.proxy-cabc123.eu-west-1.rds.amazonaws.com',
  port: 5432,
  databaseName: 'learning',
  resourceId: 'prx-0a1b2c3d4e5f60718abcd',
} as const;

/** cdk.json's context for `stage`, with prod's database ids filled in, then `mutate`d. */
export function stageContext(stage: StageName, mutate?: (context: Context) => void): Context {
  const context = structuredClone(CDK_JSON_CONTEXT);
  context.stage = stage;
  const prod = context.stages.prod;
  if (prod) prod.database = { ...EXISTING_DATABASE };
  mutate?.(context);
  return context;
}

export interface SynthOptions {
  /** Run esbuild for every function (slow); otherwise bundling is skipped. @default false */
  readonly bundle?: boolean;
  /** Register cdk-nag as the app does. @default false */
  readonly nag?: boolean;
  readonly mutate?: (context: Context) => void;
}

export interface SynthResult extends DataExportApp {
  readonly template: Template;
}

/** Builds the app of one stage and synthesises its stack once. */
export function synthStage(stage: StageName, options: SynthOptions = {}): SynthResult {
  const context = stageContext(stage, options.mutate);
  if (!options.bundle) context['aws:cdk:bundling-stacks'] = [];
  const built = createDataExportApp({ context, nag: options.nag ?? false });
  return { ...built, template: Template.fromStack(built.stack) };
}

/** Logical id of the L1 resource behind an L2 construct. */
export function logicalId(stack: Stack, construct: IConstruct): string {
  const child = construct.node.defaultChild;
  if (!child || !CfnResource.isCfnResource(child))
    throw new Error(`${construct.node.path} has no CfnResource`);
  return stack.getLogicalId(child);
}
