import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  API_ROUTES as HANDLER_ROUTES,
  queryParameterNames,
  type RouteSpec,
} from '../../functions/api/api-routes.js';
import { HANDLER_ENTRIES } from '../../lib/handler-entries.js';
import { logicalId, type SynthResult, synthStage } from './support/synth.js';

/** docs/api.md, written out independently of `API_ROUTES`. */
const CONTRACT_ROUTES = [
  ['GET', '/api/export/user/{userId}'],
  ['POST', '/api/export/bulk'],
  ['GET', '/api/export/jobs/{jobId}'],
  ['GET', '/api/export/jobs'],
  ['DELETE', '/api/export/jobs/{jobId}'],
  ['GET', '/api/export/jobs/{jobId}/download'],
  ['GET', '/api/export/jobs/{jobId}/files'],
  ['GET', '/api/export/schedules'],
  ['POST', '/api/export/schedules/{name}/run'],
  ['GET', '/api/export/metrics'],
  ['GET', '/api/export/limits'],
  ['GET', '/api/export/catalogue'],
  ['GET', '/api/export/openapi.json'],
  ['POST', '/api/export/webhooks'],
  ['GET', '/api/export/webhooks'],
  ['DELETE', '/api/export/webhooks/{webhookId}'],
  ['GET', '/api/export/webhooks/{webhookId}/deliveries'],
  ['POST', '/api/export/webhooks/{webhookId}/test'],
] as const;
const DOWNLOAD = 'GET /api/export/jobs/{jobId}/download';
const OPENAPI = 'GET /api/export/openapi.json';

// biome-ignore lint/suspicious/noExplicitAny: synthesised CloudFormation JSON, checked by the assertions
type Properties = Record<string, any>;

/** Methods by `VERB /full/path`, rebuilding each path from the resource tree. */
function methodsByRoute(template: Template): Map<string, Properties> {
  const resources = template.findResources('AWS::ApiGateway::Resource');
  const pathOf = (id: string): string => {
    const resource = resources[id];
    if (!resource) return '';
    const parent = resource.Properties.ParentId;
    return `${parent.Ref ? pathOf(parent.Ref) : ''}/${resource.Properties.PathPart}`;
  };
  const methods = new Map<string, Properties>();
  for (const method of Object.values(template.findResources('AWS::ApiGateway::Method'))) {
    const resourceId = method.Properties.ResourceId.Ref;
    methods.set(
      `${method.Properties.HttpMethod} ${resourceId ? pathOf(resourceId) : '/'}`,
      method.Properties,
    );
  }
  return methods;
}

describe('REST API of the dev stage', () => {
  let dev: SynthResult;
  let methods: Map<string, Properties>;

  beforeAll(() => {
    dev = synthStage('dev');
    methods = methodsByRoute(dev.template);
  });

  it('has a WAF web ACL in every stage, with a per-IP limit on the download link route that needs no key', () => {
    dev.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiWaf'), 'Arn'] },
    });
    dev.template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'PublicRoutesRateLimitPerIp',
          Action: { Block: {} },
          Statement: {
            RateBasedStatement: {
              Limit: 100,
              AggregateKeyType: 'IP',
              ScopeDownStatement: {
                ByteMatchStatement: Match.objectLike({
                  SearchString: '/download',
                  PositionalConstraint: 'ENDS_WITH',
                  FieldToMatch: { UriPath: {} },
                }),
              },
            },
          },
        }),
      ]),
    });
  });

  it('reserves concurrency for the download link route only, so a flood of it cannot starve the others', () => {
    const functions = dev.template.findResources('AWS::Lambda::Function');
    const download = functions[logicalId(dev.stack, dev.stack.api.handlers.downloadJob)];
    const reserved = Object.values(functions).filter(
      (fn) => fn.Properties.ReservedConcurrentExecutions !== undefined,
    );

    expect(download?.Properties.ReservedConcurrentExecutions).toBe(10);
    expect(reserved).toEqual([download]);
  });

  it('serves every route of docs/api.md and no other', () => {
    expect([...methods.keys()].sort()).toEqual(
      CONTRACT_ROUTES.map(([verb, path]) => `${verb} ${path}`).sort(),
    );
  });

  it('deploys the route declaration: entry file, authorizer, API key, query parameters, memory and network', () => {
    const functions = dev.template.findResources('AWS::Lambda::Function');
    for (const [name, spec] of Object.entries(HANDLER_ROUTES) as [keyof typeof HANDLER_ROUTES, RouteSpec][]) {
      const route = `${spec.method.toUpperCase()} /api/export${spec.path}`;
      const method = methods.get(route);
      const query = Object.keys(method?.RequestParameters ?? {})
        .filter((key) => key.startsWith('method.request.querystring.'))
        .map((key) => key.replace('method.request.querystring.', ''));

      expect(method, route).toBeDefined();
      expect(HANDLER_ENTRIES[name as keyof typeof HANDLER_ENTRIES], route).toBe(
        `functions/handlers/${spec.handler}`,
      );
      expect(method?.AuthorizationType === 'CUSTOM', route).toBe(spec.auth === 'bearer');
      expect(method?.ApiKeyRequired ?? false, route).toBe(spec.auth !== 'bearer-or-link');
      expect(query.sort(), route).toEqual(queryParameterNames(spec).sort());
      const fn = functions[logicalId(dev.stack, dev.stack.api.handlers[name])];
      expect(fn?.Properties.MemorySize, route).toBe(spec.memorySize ?? 512);
      expect(fn?.Properties.Timeout, route).toBe(spec.timeoutSeconds ?? 29);
      expect(fn?.Properties.VpcConfig !== undefined, route).toBe(spec.needs.login !== undefined);
    }
  });

  it('requires an API key on every route except the emailed download link', () => {
    for (const [route, method] of methods) {
      expect(method.ApiKeyRequired ?? false, route).toBe(route !== DOWNLOAD);
    }
  });

  it('runs the JWT authorizer on every route except the download link and the OpenAPI document', () => {
    const authorizer = { Ref: logicalId(dev.stack, dev.stack.api.authorizer) };
    for (const [route, method] of methods) {
      if (route === DOWNLOAD || route === OPENAPI) {
        expect(method.AuthorizationType, route).toBe('NONE');
      } else {
        expect(method.AuthorizationType, route).toBe('CUSTOM');
        expect(method.AuthorizerId, route).toEqual(authorizer);
      }
    }
  });

  it('authorizes with a cached Lambda REQUEST authorizer keyed on the Authorization header', () => {
    dev.template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('leaves request validation to the handlers, so no API Gateway model can drift from their schemas', () => {
    dev.template.resourceCountIs('AWS::ApiGateway::RequestValidator', 0);
    dev.template.resourceCountIs('AWS::ApiGateway::Model', 0);
    for (const [route, method] of methods) expect(method.RequestModels, route).toBeUndefined();
  });

  it('declares the path parameters each handler reads as required', () => {
    expect(methods.get('GET /api/export/jobs/{jobId}/download')?.RequestParameters).toEqual({
      'method.request.path.jobId': true,
      'method.request.querystring.token': false,
      'method.request.querystring.file': false,
    });
    expect(methods.get('POST /api/export/schedules/{name}/run')?.RequestParameters).toEqual({
      'method.request.path.name': true,
    });
  });

  it('writes JSON access logs and error-level execution logs, never request bodies', () => {
    dev.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([{ Ref: logicalId(dev.stack, dev.stack.api.accessLogGroup) }])],
        }),
        Format: Match.stringLikeRegexp('"apiKeyId":"\\$context.identity.apiKeyId"'),
      },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
        }),
      ],
    });
  });

  it('returns zip and gzip downloads as binary', () => {
    dev.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: ['*/*'],
    });
  });

  it('throttles and limits each usage plan as configured, on this stage, with its API key', () => {
    const planId = logicalId(dev.stack, dev.stack.api.usagePlans[0]!);
    dev.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 10, BurstLimit: 20 },
      Quota: { Limit: 5000, Period: 'DAY' },
      ApiStages: [
        {
          ApiId: { Ref: logicalId(dev.stack, dev.stack.api.restApi) },
          Stage: { Ref: logicalId(dev.stack, dev.stack.api.restApi.deploymentStage) },
        },
      ],
    });
    dev.template.hasResourceProperties('AWS::ApiGateway::UsagePlanKey', {
      KeyId: { Ref: logicalId(dev.stack, dev.stack.api.apiKeys[0]!) },
      KeyType: 'API_KEY',
      UsagePlanId: { Ref: planId },
    });
  });

  it('caps the whole stage with its own throttle', () => {
    dev.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })],
    });
  });

  it("answers gateway errors in the service's JSON error shape", () => {
    const responses = dev.template.findResources('AWS::ApiGateway::GatewayResponse');
    const byType = new Map(Object.values(responses).map((r) => [r.Properties.ResponseType, r.Properties]));

    const unauthorized = byType.get('UNAUTHORIZED')?.ResponseTemplates['application/json'];
    const rendered = JSON.parse(unauthorized.replace('$context.error.messageString', '"Unauthorized"'));
    expect(rendered).toEqual({ error: { code: 'unauthorized', message: 'Unauthorized' } });
    expect(byType.get('MISSING_AUTHENTICATION_TOKEN')?.StatusCode).toBe('404');
    expect(byType.get('QUOTA_EXCEEDED')?.ResponseTemplates['application/json']).toContain('"rate_limited"');
  });
});

describe('REST API of the prod stage', () => {
  let prod: SynthResult;

  beforeAll(() => {
    prod = synthStage('prod');
  });

  it('creates one usage plan per configured plan, each with its throttle and quota, and the console plan', () => {
    // The web console has its own plan and key (lib/export-console.ts, test/infra/console.test.ts).
    prod.template.resourceCountIs('AWS::ApiGateway::UsagePlan', 2 + 1);
    prod.template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Quota: { Limit: 10000, Period: 'MONTH' },
    });
    prod.template.resourceCountIs('AWS::ApiGateway::ApiKey', 2 + 1);
  });

  it('takes the WAF limits and the download route concurrency from the stage config', () => {
    prod.template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([
        Match.objectLike({
          Name: 'PublicRoutesRateLimitPerIp',
          Statement: { RateBasedStatement: Match.objectLike({ Limit: 100 }) },
        }),
      ]),
    });
    const download =
      prod.template.findResources('AWS::Lambda::Function')[
        logicalId(prod.stack, prod.stack.api.handlers.downloadJob)
      ];
    expect(download?.Properties.ReservedConcurrentExecutions).toBe(20);
  });

  it('runs database handlers in the given subnets with the given security group and proxy host', () => {
    const handler = Object.values(prod.template.findResources('AWS::Lambda::Function')).find(
      (fn) => fn.Properties.Environment?.Variables?.DATABASE_HOST !== undefined,
    );

    expect(handler?.Properties.VpcConfig).toEqual({
      SubnetIds: ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'],
      SecurityGroupIds: ['sg-0a1b2c3d4e5f60003'],
    });
    expect(handler?.Properties.Environment.Variables).toMatchObject({
      DATABASE_HOST: 'learning-proxy.proxy-cabc123.eu-west-1.rds.amazonaws.com',
      DATABASE_PORT: '5432',
      DATABASE_NAME: 'learning',
    });
    prod.template.resourceCountIs('AWS::RDS::DBCluster', 0);
    prod.template.resourceCountIs('AWS::EC2::VPC', 0);
  });

  it('retains the export bucket when the stack is deleted', () => {
    const bucket =
      prod.template.findResources('AWS::S3::Bucket')[logicalId(prod.stack, prod.stack.exportBucket.bucket)];
    expect(bucket?.DeletionPolicy).toBe('Retain');
  });
});
