import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../lib/console-site.js';
import { consoleRoutingFunction } from '../../lib/export-console.js';
import { logicalId, type SynthResult, synthStage } from './support/synth.js';

// biome-ignore lint/suspicious/noExplicitAny: synthesised CloudFormation JSON, checked by the assertions
type Properties = Record<string, any>;

/** CloudFront's managed policies, by their documented ids. */
const CACHING_DISABLED = '4135ea2d-6df8-44a3-9df3-4b5a84be39ad';
const ALL_VIEWER_EXCEPT_HOST_HEADER = 'b689b0a8-53d0-40ab-baf2-68738e2966ac';

let dev: SynthResult;
let distribution: Properties;

beforeAll(() => {
  dev = synthStage('dev');
  distribution = Object.values(dev.template.findResources('AWS::CloudFront::Distribution'))[0]?.Properties
    .DistributionConfig;
});

/** The dynamic reference CloudFormation resolves to the console key's value at deployment. */
const secretReference = () => ({
  'Fn::Join': [
    '',
    [
      '{{resolve:secretsmanager:',
      { Ref: logicalId(dev.stack, dev.stack.console.apiKeySecret) },
      ':SecretString:::}}',
    ],
  ],
});

describe('web console distribution', () => {
  it('serves the static files from a private bucket that only this distribution can read', () => {
    const bucketId = logicalId(dev.stack, dev.stack.console.bucket);
    const bucket = dev.template.findResources('AWS::S3::Bucket')[bucketId]?.Properties;

    expect(bucket?.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    dev.template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always' },
    });
    const policy = Object.values(dev.template.findResources('AWS::S3::BucketPolicy')).find(
      (p) => p.Properties.Bucket.Ref === bucketId,
    )?.Properties.PolicyDocument.Statement as Properties[];
    const readers = policy.filter(
      (statement) => statement.Effect === 'Allow' && statement.Action === 's3:GetObject',
    );
    expect(readers).toHaveLength(1);
    expect(readers[0]?.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(JSON.stringify(readers[0]?.Condition.StringEquals['AWS:SourceArn'])).toContain(
      logicalId(dev.stack, dev.stack.console.distribution),
    );
    expect(policy).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(
      distribution.Origins.find((o: Properties) => o.S3OriginConfig)?.OriginAccessControlId,
    ).toBeDefined();
  });

  it('routes /api/export/* to the REST API stage: uncached, every method, all headers but Host, with the console key', () => {
    const api = distribution.CacheBehaviors.find((b: Properties) => b.PathPattern === '/api/export/*');
    const origin = distribution.Origins.find((o: Properties) => o.Id === api.TargetOriginId);

    expect(api).toMatchObject({
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      CachePolicyId: CACHING_DISABLED,
      OriginRequestPolicyId: ALL_VIEWER_EXCEPT_HOST_HEADER,
      ViewerProtocolPolicy: 'https-only',
    });
    expect(JSON.stringify(origin.DomainName)).toContain(logicalId(dev.stack, dev.stack.api.restApi));
    expect(JSON.stringify(origin.OriginPath)).toContain(dev.config.stage);
    expect(origin.CustomOriginConfig.OriginProtocolPolicy).toBe('https-only');
    expect(origin.OriginCustomHeaders).toEqual([{ HeaderName: 'x-api-key', HeaderValue: secretReference() }]);
  });

  it('gives the console its own API key, with the same secret value, in a usage plan of the API stage', () => {
    const keyId = logicalId(dev.stack, dev.stack.console.apiKey);
    dev.template.hasResourceProperties('AWS::ApiGateway::ApiKey', {
      Value: secretReference(),
      Enabled: true,
    });
    dev.template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: keyId },
      UsagePlanId: { Ref: logicalId(dev.stack, dev.stack.console.usagePlan) },
    });
    dev.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      ApiStages: [Match.objectLike({ ApiId: { Ref: logicalId(dev.stack, dev.stack.api.restApi) } })],
      Throttle: { RateLimit: 25, BurstLimit: 50 },
    });
  });

  it('sends the security headers on both behaviours', () => {
    const policyId = { Ref: logicalId(dev.stack, dev.stack.console.securityHeaders) };

    expect(distribution.DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual(policyId);
    expect(
      distribution.CacheBehaviors.every(
        (b: Properties) => JSON.stringify(b.ResponseHeadersPolicyId) === JSON.stringify(policyId),
      ),
    ).toBe(true);
    dev.template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: CONSOLE_CSP, Override: true },
          ContentTypeOptions: { Override: true },
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
          StrictTransportSecurity: Match.objectLike({
            AccessControlMaxAgeSec: 63_072_000,
            IncludeSubdomains: true,
          }),
        },
      },
    });
  });

  it('redirects to HTTPS, logs requests, and rewrites app routes to index.html at the edge', () => {
    expect(distribution.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(distribution.Logging.Bucket).toEqual({
      'Fn::GetAtt': [logicalId(dev.stack, dev.stack.console.logsBucket), 'RegionalDomainName'],
    });
    expect(distribution.DefaultCacheBehavior.FunctionAssociations).toEqual(
      [{ EventType: 'viewer-request', FunctionARN: Match.anyValue() }].map((a) =>
        expect.objectContaining({ EventType: a.EventType }),
      ),
    );
    dev.template.hasResourceProperties('AWS::CloudFront::Function', {
      FunctionCode: consoleRoutingFunction('/console/'),
      FunctionConfig: Match.objectLike({ Runtime: 'cloudfront-js-2.0' }),
    });
  });

  it('uploads the files under console/, assets before index.html, and invalidates the console paths', () => {
    const deployments = Object.entries(dev.template.findResources('Custom::CDKBucketDeployment'));
    const [assetsId, assets] =
      deployments.find(([, d]) => d.Properties.DistributionPaths === undefined) ?? [];
    const [, index] = deployments.find(([, d]) => d.Properties.DistributionPaths !== undefined) ?? [];

    expect(deployments).toHaveLength(2);
    expect(assets?.Properties).toMatchObject({ DestinationBucketKeyPrefix: 'console/', Prune: false });
    expect(assets?.Properties.Exclude).toContain('index.html');
    expect(index?.Properties).toMatchObject({
      DestinationBucketKeyPrefix: 'console/',
      DistributionPaths: ['/console/*'],
    });
    expect(index?.DependsOn).toContain(assetsId);
  });
});

describe('console routing function', () => {
  const route = new Function(
    'event',
    `${consoleRoutingFunction('/console/')}\nreturn handler(event);`,
  ) as (event: { request: { uri: string } }) => { uri?: string; statusCode?: number; headers?: Properties };

  it('redirects / and the bare prefix to the console', () => {
    for (const uri of ['/', '/console']) {
      expect(route({ request: { uri } })).toMatchObject({
        statusCode: 301,
        headers: { location: { value: '/console/' } },
      });
    }
  });

  it('gives client-side routes index.html and leaves files and the API alone', () => {
    expect(route({ request: { uri: '/console/jobs/3f2c0a57' } }).uri).toBe('/console/index.html');
    expect(route({ request: { uri: '/console/' } }).uri).toBe('/console/index.html');
    expect(route({ request: { uri: '/console/assets/index-abc.js' } }).uri).toBe(
      '/console/assets/index-abc.js',
    );
    expect(route({ request: { uri: '/api/export/jobs' } }).uri).toBe('/api/export/jobs');
  });
});
