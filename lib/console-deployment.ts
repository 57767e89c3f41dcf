import { execFileSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { AssetHashType, DefaultStackSynthesizer, DockerImage, Stack, Validations } from 'aws-cdk-lib';
import type { IDistribution } from 'aws-cdk-lib/aws-cloudfront';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { CONSOLE_BASE_PATH, CONSOLE_DIST_DIR, CONSOLE_SOURCE_DIR } from './console-site.js';
import { PROJECT_ROOT } from './handler-entries.js';
import { nagResourceText } from './nag-findings.js';

export interface ConsoleDeploymentProps {
  /** The console bucket. */
  readonly bucket: IBucket;
  /** Key prefix of the files, `console/`, so that S3 keys match the paths CloudFront serves. */
  readonly keyPrefix: string;
  /** Invalidated after each upload. */
  readonly distribution: IDistribution;
  /**
   * The static files.
   * @default - the console, built from `console/` when the stack is synthesised (`npm run console:build`)
   */
  readonly source?: ISource;
}

/**
 * Uploads the console's files: content-hashed assets first (cached for a year and never pruned,
 * so a browser still holding the previous index.html finds its assets), then index.html (always
 * revalidated), then an invalidation of the console's paths.
 */
export class ConsoleDeployment extends Construct {
  public readonly role: Role;
  public readonly assets: BucketDeployment;
  public readonly index: BucketDeployment;

  constructor(scope: Construct, id: string, props: ConsoleDeploymentProps) {
    super(scope, id);
    const source = props.source ?? consoleSource();
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the console files from the CDK assets bucket into the console bucket',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
    });
    this.assets = new BucketDeployment(this, 'Assets', {
      sources: [source],
      destinationBucket: props.bucket,
      destinationKeyPrefix: props.keyPrefix,
      exclude: ['index.html', '.*'],
      prune: false,
      cacheControl: [CacheControl.fromString('public, max-age=31536000, immutable')],
      role: this.role,
    });
    this.index = new BucketDeployment(this, 'Index', {
      sources: [source],
      destinationBucket: props.bucket,
      destinationKeyPrefix: props.keyPrefix,
      exclude: ['*'],
      include: ['index.html'],
      prune: false,
      cacheControl: [CacheControl.noCache()],
      distribution: props.distribution,
      distributionPaths: [`${CONSOLE_BASE_PATH}*`],
      role: this.role,
    });
    this.index.node.addDependency(this.assets);
    this.acknowledgeFindings(props.bucket);
  }

  private acknowledgeFindings(bucket: IBucket): void {
    const role = Validations.of(this.role);
    role.acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'AWS managed policy that lets the CDK bucket-deployment function write its own CloudWatch logs, nothing else.',
    });
    const synthesizer = Stack.of(this).synthesizer;
    const qualifier =
      (synthesizer instanceof DefaultStackSynthesizer ? synthesizer.bootstrapQualifier : undefined) ??
      DefaultStackSynthesizer.DEFAULT_QUALIFIER;
    // The bootstrap bucket's name as a CloudFormation template: `cdk-${Qualifier}-assets-…`.
    const assetsBucket = DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace(
      /\$\{Qualifier\}/,
      qualifier,
    );
    const wildcards = [
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map(
        (a) => `Action::${a}`,
      ),
      `Resource::${nagResourceText(this, `${bucket.bucketArn}/*`)}`,
      `Resource::arn:<AWS::Partition>:s3:::${assetsBucket.replace(/\$\{/g, '<').replace(/}/g, '>')}/*`,
      // CloudFront invalidations name no resource narrower than the account's distributions.
      'Resource::*',
    ];
    for (const finding of wildcards) {
      role.acknowledge({
        id: `AwsSolutions-IAM5[${finding}]`,
        reason:
          'CDK grant of the bucket-deployment function: read the CDK asset objects, write the console bucket, invalidate its distribution.',
      });
    }
    // The deployment function itself is a stack-level singleton that aws-cdk-lib creates.
    for (const child of Stack.of(this).node.children) {
      if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
      Validations.of(child).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'The runtime of the CDK bucket-deployment function is chosen by aws-cdk-lib and moves with its upgrades.',
      });
    }
  }
}

/**
 * The console's files as an asset built at synthesis, the way the Lambda bundles are: skipped by
 * synthesis that does not bundle (the infra tests), run by `cdk synth` and `cdk deploy`.
 */
function consoleSource(): ISource {
  return Source.asset(CONSOLE_SOURCE_DIR, {
    exclude: ['dist', '.dist-*'],
    // Redeployed exactly when the built files change.
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never used: local bundling always succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:24'),
      local: {
        tryBundle(outputDir: string): boolean {
          execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build-console.ts'], {
            cwd: PROJECT_ROOT,
            stdio: 'inherit',
          });
          cpSync(CONSOLE_DIST_DIR, outputDir, {
            recursive: true,
            filter: (file) => !path.basename(file).startsWith('.'),
          });
          return true;
        },
      },
    },
  });
}
