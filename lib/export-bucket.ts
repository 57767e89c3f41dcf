import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

import { API_EXPORT_PREFIX } from '../functions/domain/jobs/export-job.js';

export interface ExportBucketProps {
  /**
   * Age at which objects under `exports/` are deleted. Must outlive the emailed links.
   * @default Duration.days(7)
   */
  readonly exportExpiration?: Duration;
  /**
   * Prefixes of scheduled exports (from the schedule catalogue) in this bucket.
   * @default - none
   */
  readonly scheduledPrefixes?: readonly string[];
  /**
   * Age at which objects under `scheduledPrefixes` are deleted.
   * @default - kept until deleted by their consumers
   */
  readonly scheduledExpiration?: Duration;
  /**
   * Removal policy of both buckets; `DESTROY` also empties them on stack deletion.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Age at which server access logs are deleted.
   * @default Duration.days(90)
   */
  readonly accessLogExpiration?: Duration;
}

/**
 * The export object store: private, encrypted (SSE-S3), TLS-only, with lifecycle expiry of export
 * objects and abort of incomplete multipart uploads after one day (a crashed worker leaves parts
 * that would otherwise be billed forever). Server access logs go to a second bucket.
 */
export class ExportBucket extends Construct {
  public readonly bucket: Bucket;
  public readonly accessLogsBucket: Bucket;
  /** Every prefix the service writes under, API exports first. */
  public readonly prefixes: readonly string[];

  constructor(scope: Construct, id: string, props: ExportBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;
    const scheduledPrefixes = props.scheduledPrefixes ?? [];
    this.prefixes = [API_EXPORT_PREFIX, ...scheduledPrefixes];

    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // S3 server access logging can only deliver to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: props.accessLogExpiration ?? Duration.days(90) }],
      removalPolicy,
      autoDeleteObjects,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is the server access log target of the export bucket; logging it would log its own log writes.',
    });

    const lifecycleRules: LifecycleRule[] = [
      { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      {
        id: 'expire-api-exports',
        prefix: API_EXPORT_PREFIX,
        expiration: props.exportExpiration ?? Duration.days(7),
      },
      ...(props.scheduledExpiration
        ? scheduledPrefixes.map((prefix, i) => ({
            id: `expire-scheduled-${i}`,
            prefix,
            expiration: props.scheduledExpiration,
          }))
        : []),
    ];

    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'export-bucket/',
      lifecycleRules,
      removalPolicy,
      autoDeleteObjects,
    });
  }
}
