import { App, type AppProps, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SCHEDULES } from '../functions/domain/schedules/schedule-catalogue.js';
import { DataExportStack } from './data-export-stack.js';
import { loadStageConfig, type StageConfig } from './stage-config.js';

export interface DataExportAppOptions {
  /** Context of the app (tests pass cdk.json's context; the CLI passes its own). @default - none */
  readonly context?: AppProps['context'];
  /** @default - the CLI's output directory, or a temporary one */
  readonly outdir?: string;
  /**
   * Register cdk-nag `AwsSolutionsChecks` as a policy-validation plugin, so synthesis fails on any
   * unacknowledged finding of error level.
   * @default true
   */
  readonly nag?: boolean;
}

export interface DataExportApp {
  readonly app: App;
  readonly stack: DataExportStack;
  readonly config: StageConfig;
}

/**
 * Builds the CDK app for the stage named by context `stage`: validates the stage's context first
 * (a `StageConfigError` names every bad key), then creates one `DataExportStack`.
 */
export function createDataExportApp(options: DataExportAppOptions = {}): DataExportApp {
  const app = new App({ context: options.context, outdir: options.outdir });
  const config = loadStageConfig((key) => app.node.tryGetContext(key));
  const account = config.env.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const region = config.env.region ?? process.env.CDK_DEFAULT_REGION;
  const stack = new DataExportStack(app, config.stackName, {
    config,
    schedules: SCHEDULES,
    env: account || region ? { account, region } : undefined,
    description: `Data Export Service (${config.stage})`,
    terminationProtection: config.retainData,
  });
  Tags.of(stack).add('service', 'data-export');
  Tags.of(stack).add('stage', config.stage);
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, config };
}
