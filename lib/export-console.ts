import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { ApiKey, type RestApi, type UsagePlan } from 'aws-cdk-lib/aws-apigateway';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  Function as EdgeFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { RestApiOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { ISource } from 'aws-cdk-lib/aws-s3-deployment';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { API_BASE_PATH } from '../functions/domain/access/api-paths.js';
import { ConsoleDeployment } from './console-deployment.js';
import { CONSOLE_BASE_PATH, CONSOLE_CSP } from './console-site.js';

/** Where CloudFront sends API calls: the REST API's base path (docs/api.md). */
const API_PATH_PATTERN = `${API_BASE_PATH}/*`;

export interface ExportConsoleProps {
  /** The REST API that `/api/export/*` is routed to. */
  readonly api: RestApi;
  /**
   * Throttle of the console's usage plan. Every console user shares its one API key; each user's
   * export requests are limited by the service's own per-user window as well.
   * @default { rateLimit: 25, burstLimit: 50 }
   */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /**
   * The static files to serve under `/console/`.
   * @default - the console, built from `console/` when the stack is synthesised (`npm run console:build`)
   */
  readonly source?: ISource;
  /**
   * A CLOUDFRONT-scope WAF web ACL (it must live in us-east-1) to attach.
   * @default - none (the API keeps its own regional web ACL and usage plans)
   */
  readonly webAclArn?: string;
  /** Removal policy of the buckets; `DESTROY` also empties them. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default PriceClass.PRICE_CLASS_100 */
  readonly priceClass?: PriceClass;
}

/**
 * The web console (docs/console.md) in AWS: its static files in a private S3 bucket that only this
 * CloudFront distribution can read (origin access control), and `/api/export/*` on the same
 * origin routed to the REST API, uncached, with every method, query string and header but Host.
 * CloudFront adds the console's usage-plan API key to those requests as an origin custom header,
 * so browsers never hold it (a viewer's own `x-api-key` is overwritten). The key's value lives in
 * Secrets Manager and reaches both API Gateway and CloudFront as a dynamic reference.
 */
export class ExportConsole extends Construct {
  public readonly bucket: Bucket;
  public readonly logsBucket: Bucket;
  public readonly distribution: Distribution;
  public readonly apiKeySecret: Secret;
  public readonly apiKey: ApiKey;
  public readonly usagePlan: UsagePlan;
  public readonly securityHeaders: ResponseHeadersPolicy;
  public readonly deployment: ConsoleDeployment;
  /** `https://<distribution>/console/`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ExportConsoleProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const autoDeleteObjects = removalPolicy === RemovalPolicy.DESTROY;
    const prefix = CONSOLE_BASE_PATH.replace(/^\//, '');

    // CloudFront's standard logs are written with ACLs, so this bucket keeps them enabled.
    this.logsBucket = new Bucket(this, 'Logs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy,
      autoDeleteObjects,
    });
    Validations.of(this.logsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the console distribution and bucket access logs; logging it would log its own log writes.',
    });

    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logsBucket,
      serverAccessLogsPrefix: 'bucket/',
      removalPolicy,
      autoDeleteObjects,
    });

    this.apiKeySecret = new Secret(this, 'ApiKeyValue', {
      description:
        "Value of the web console's API key, added by CloudFront to the requests it forwards to the API",
      generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
    Validations.of(this.apiKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The key is read by CloudFront and API Gateway at deployment only; it is rotated by changing the secret and redeploying the stack (see docs/deployment.md).',
    });
    const keyValue = this.apiKeySecret.secretValue.unsafeUnwrap();
    this.apiKey = new ApiKey(this, 'ApiKey', {
      description: 'The web console (CloudFront adds it; browsers never see it)',
      value: keyValue,
    });
    this.usagePlan = props.api.addUsagePlan('ConsoleUsagePlan', {
      description: 'The web console: one key shared by all its users behind CloudFront',
      throttle: props.throttle ?? { rateLimit: 25, burstLimit: 50 },
      apiStages: [{ api: props.api, stage: props.api.deploymentStage }],
    });
    this.usagePlan.addApiKey(this.apiKey);

    this.securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Security headers of the Data Export console and API',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CONSOLE_CSP, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
      },
    });

    const routing = new EdgeFunction(this, 'Routing', {
      comment: 'Console paths: / and the bare prefix redirect to it; app routes get index.html',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(consoleRoutingFunction(CONSOLE_BASE_PATH)),
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Data Export console and API',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? PriceClass.PRICE_CLASS_100,
      enableLogging: true,
      logBucket: this.logsBucket,
      logFilePrefix: 'cloudfront/',
      ...(props.webAclArn && { webAclId: props.webAclArn }),
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.securityHeaders,
        functionAssociations: [{ function: routing, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        [API_PATH_PATTERN]: {
          origin: new RestApiOrigin(props.api, { customHeaders: { 'x-api-key': keyValue } }),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          // API Gateway answers 403 when it receives the distribution's Host header.
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
          responseHeadersPolicy: this.securityHeaders,
        },
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}${CONSOLE_BASE_PATH}`;
    this.acknowledgeDistributionFindings(props);

    this.deployment = new ConsoleDeployment(this, 'Deployment', {
      bucket: this.bucket,
      keyPrefix: prefix,
      distribution: this.distribution,
      ...(props.source && { source: props.source }),
    });
  }

  private acknowledgeDistributionFindings(props: ExportConsoleProps): void {
    const distribution = Validations.of(this.distribution);
    distribution.acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'The console serves the platform users wherever they are; access is decided by their identity provider tokens, not by country.',
    });
    if (!props.webAclArn) {
      distribution.acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'A CLOUDFRONT web ACL must live in us-east-1; the API behind /api/export/* keeps its regional web ACL, usage plans and per-user limits. Pass webAclArn to attach one.',
      });
    }
    distribution.acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        'The default *.cloudfront.net certificate fixes the minimum TLS version; a custom domain with its own certificate would set TLSv1.2_2021.',
    });
  }
}

/**
 * The CloudFront Function of the console behaviour: `/` and the bare prefix redirect to the
 * console, and a path under it without a file extension (a client-side route) gets index.html,
 * as the local runtime's static server does. Exported for the infra tests.
 */
export function consoleRoutingFunction(basePath: string): string {
  const bare = basePath.replace(/\/$/, '');
  return `function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === '/' || uri === '${bare}') {
    return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '${basePath}' } } };
  }
  if (uri.indexOf('${basePath}') === 0) {
    var last = uri.substring(uri.lastIndexOf('/') + 1);
    if (last.indexOf('.') === -1) request.uri = '${basePath}index.html';
  }
  return request;
}`;
}
