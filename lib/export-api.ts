import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  ApiKey,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  Period,
  RequestAuthorizer,
  type Resource,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  API_BASE_PATH,
  API_ROUTES,
  BINARY_MEDIA_TYPES,
  queryParameterNames,
  type RouteName,
  type RouteSpec,
} from '../functions/api/api-routes.js';
import { apiAccessLogFormat } from './api-access-log.js';
import { addServiceGatewayResponses } from './api-gateway-responses.js';
import type { FunctionNetwork } from './database-access.js';
import { ExportApiWaf } from './export-api-waf.js';
import { ExportFunction } from './export-function.js';
import { handlerEntryPath } from './handler-entries.js';

/** A handler that serves an API route: the route's name in the route declaration. */
export type ApiHandlerName = RouteName;

export interface ApiThrottle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export interface UsagePlanSettings {
  readonly name: string;
  readonly throttle: ApiThrottle;
  readonly quota: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' };
  /** Names of the API keys to create for this plan. */
  readonly apiKeys: readonly string[];
}

export interface JwtSettings {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
}

export interface ExportApiProps {
  /** API Gateway stage, also the first path segment of the URL. */
  readonly stageName: string;
  /** Usage plans with their throttle, quota and API keys. */
  readonly usagePlans: readonly UsagePlanSettings[];
  /** JWT verification settings of the authorizer (and of the download route's bearer check). */
  readonly jwt: JwtSettings;
  /**
   * VPC placement of the handlers that read Postgres.
   * @default - not in a VPC
   */
  readonly network?: FunctionNetwork;
  /**
   * Stage-wide throttle, the ceiling above all usage plans.
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly stageThrottle?: ApiThrottle;
  /**
   * How long API Gateway caches an authorizer decision per `Authorization` header.
   * @default Duration.minutes(5)
   */
  readonly authorizerCacheTtl?: Duration;
  /**
   * Plain settings given to every route handler.
   * @default - none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Per-IP limits of the stage's WAF web ACL (always attached).
   * @default { rateLimitPerIp: 1000, publicRateLimitPerIp: 100 }
   */
  readonly waf?: { readonly rateLimitPerIp: number; readonly publicRateLimitPerIp: number };
  /**
   * Reserved concurrency of each route that needs neither API key nor authorizer (the emailed
   * download link), so a flood of them cannot take the account's concurrency or the database.
   * @default 10
   */
  readonly publicRouteConcurrency?: number;
  /**
   * Set the account-wide API Gateway CloudWatch Logs role (once per account and region).
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * Public base URL that emailed links are built on (`{publicUrl}/api/export/jobs/…`), e.g. a
   * custom domain mapped to the stage.
   * @default - the execute-api URL of the stage
   */
  readonly publicUrl?: string;
  /**
   * Prefix of the usage plan and API key names.
   * @default 'data-export'
   */
  readonly namePrefix?: string;
  /** @default 'INFO' */
  readonly logLevel?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Removal policy of the log groups. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The REST API of docs/api.md, deployed from the route declaration (`API_ROUTES`): one function per
 * route, a Lambda REQUEST authorizer (cached) for JWTs, JSON access logs, binary media types for
 * downloads, the service's error shape on gateway errors, usage plans with API keys, and a WAF web
 * ACL. Requests are validated by the handlers, with the same schemas locally and in AWS, so every
 * 400 names its field.
 */
export class ExportApi extends Construct {
  public readonly restApi: RestApi;
  public readonly authorizer: RequestAuthorizer;
  public readonly authorizerFunction: ExportFunction;
  public readonly handlers: Readonly<Record<ApiHandlerName, ExportFunction>>;
  public readonly methods: ReadonlyMap<string, Method>;
  public readonly usagePlans: readonly UsagePlan[];
  public readonly apiKeys: readonly ApiKey[];
  public readonly accessLogGroup: LogGroup;
  public readonly waf: ExportApiWaf;
  /** Base URL that links are built on (`PUBLIC_API_URL`); routes are below `{publicUrl}/api/export`. */
  public readonly publicUrl: string;

  constructor(scope: Construct, id: string, props: ExportApiProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const functionDefaults = {
      logLevel: props.logLevel,
      logRetention,
      logRemovalPolicy: removalPolicy,
    };

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: logRetention, removalPolicy });
    const stageThrottle = props.stageThrottle ?? { rateLimit: 50, burstLimit: 100 };
    this.restApi = new RestApi(this, 'RestApi', {
      description: 'Data Export Service',
      endpointTypes: [EndpointType.REGIONAL],
      // API Gateway returns a base64 proxy body as binary only when the request's Accept header
      // matches a binary media type; browsers and curl send `*/*`, so every type is binary-capable.
      // Text responses (isBase64Encoded false) pass through unchanged, and the handlers decode
      // base64 request bodies (functions/api/http.ts).
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      cloudWatchRole: props.cloudWatchRole ?? true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request and response bodies carry personal data: never log them.
        dataTraceEnabled: false,
        throttlingRateLimit: stageThrottle.rateLimit,
        throttlingBurstLimit: stageThrottle.burstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apiAccessLogFormat(),
      },
    });
    this.publicUrl =
      props.publicUrl ??
      // Built from the API id, not `restApi.url`: handlers of this API get the URL, and a reference
      // to the stage would make the stage depend on itself through the deployment.
      `https://${this.restApi.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${props.stageName}`;
    addServiceGatewayResponses(this.restApi);

    this.authorizerFunction = new ExportFunction(this, 'AuthorizerFunction', {
      ...functionDefaults,
      entry: handlerEntryPath('authorizer'),
      description: 'Verifies the bearer JWT of API requests',
      timeout: Duration.seconds(10),
      memorySize: 256,
      environment: jwtEnvironment(props.jwt),
    });
    this.authorizer = new RequestAuthorizer(this, 'Authorizer', {
      handler: this.authorizerFunction,
      identitySources: [IdentitySource.header('Authorization')],
      resultsCacheTtl: props.authorizerCacheTtl ?? Duration.minutes(5),
    });

    const handlers: Partial<Record<ApiHandlerName, ExportFunction>> = {};
    const methods = new Map<string, Method>();
    const base = this.restApi.root.resourceForPath(API_BASE_PATH);
    for (const [name, route] of Object.entries(API_ROUTES) as [ApiHandlerName, RouteSpec][]) {
      const method = route.method.toUpperCase();
      if (route.needs.login && !props.network) {
        throw new Error(
          `ExportApi: route ${method} ${route.path} reads the database; props.network is required`,
        );
      }
      const handler = new ExportFunction(this, `${capitalise(name)}Function`, {
        ...functionDefaults,
        entry: handlerEntryPath(name),
        description: `${method} ${API_BASE_PATH}${route.path}: ${route.summary}`.slice(0, 256),
        memorySize: route.memorySize,
        ...(route.timeoutSeconds !== undefined && { timeout: Duration.seconds(route.timeoutSeconds) }),
        network: route.needs.login ? props.network : undefined,
        ...(route.auth === 'bearer-or-link' && {
          reservedConcurrentExecutions: props.publicRouteConcurrency ?? 10,
        }),
        environment: {
          ...props.environment,
          ...(route.auth === 'bearer-or-link' ? jwtEnvironment(props.jwt) : {}),
        },
      });
      handlers[name] = handler;
      methods.set(`${method} ${route.path.slice(1)}`, this.addRoute(base, name, route, handler));
    }
    this.handlers = handlers as Record<ApiHandlerName, ExportFunction>;
    this.methods = methods;

    const namePrefix = props.namePrefix ?? 'data-export';
    const plans: UsagePlan[] = [];
    const keys: ApiKey[] = [];
    for (const settings of props.usagePlans) {
      const plan = this.restApi.addUsagePlan(`UsagePlan-${settings.name}`, {
        name: `${namePrefix}-${settings.name}`,
        description: `Data export usage plan '${settings.name}'`,
        throttle: settings.throttle,
        quota: { limit: settings.quota.limit, period: Period[settings.quota.period] },
        apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
      });
      for (const keyName of settings.apiKeys) {
        const key = new ApiKey(this, `ApiKey-${keyName}`, {
          apiKeyName: `${namePrefix}-${keyName}`,
          description: `Data export API key '${keyName}' (usage plan '${settings.name}')`,
        });
        plan.addApiKey(key);
        keys.push(key);
      }
      plans.push(plan);
    }
    this.usagePlans = plans;
    this.apiKeys = keys;

    this.waf = new ExportApiWaf(this, 'Waf', {
      stageArn: this.restApi.deploymentStage.stageArn,
      ...(props.waf && {
        rateLimitPerIp: props.waf.rateLimitPerIp,
        publicRateLimitPerIp: props.waf.publicRateLimitPerIp,
      }),
      publicPathSuffixes: Object.values(API_ROUTES as Record<string, RouteSpec>)
        .filter((route) => route.auth === 'bearer-or-link')
        .map((route) => `/${route.path.split('/').at(-1)}`),
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-APIG2',
      reason:
        "Each handler validates its request with the route declaration's schemas, as the local runtime does, so every 400 names the field at fault; API Gateway's validation would answer without field names and a model of its own would drift from the schemas.",
    });
    Validations.of(this.restApi).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Bearer JWTs come from the platform identity provider (JWKS), not a Cognito user pool; the Lambda REQUEST authorizer verifies them.',
    });
    if (props.cloudWatchRole ?? true) {
      Validations.of(this.restApi).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'AWS managed policy of the account-level role API Gateway needs to write access and execution logs to CloudWatch.',
      });
    }
  }

  private addRoute(base: Resource, name: ApiHandlerName, route: RouteSpec, handler: ExportFunction): Method {
    const resource = base.resourceForPath(route.path.slice(1));
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    const requestParameters: Record<string, boolean> = {};
    for (const parameter of pathParameters) requestParameters[`method.request.path.${parameter}`] = true;
    for (const parameter of queryParameterNames(route))
      requestParameters[`method.request.querystring.${parameter}`] = false;
    const method = resource.addMethod(
      route.method.toUpperCase(),
      new LambdaIntegration(handler, { allowTestInvoke: false }),
      {
        operationName: name,
        apiKeyRequired: route.auth !== 'bearer-or-link',
        ...(route.auth === 'bearer'
          ? { authorizer: this.authorizer, authorizationType: AuthorizationType.CUSTOM }
          : { authorizationType: AuthorizationType.NONE }),
        requestParameters,
      },
    );
    if (route.auth === 'bearer-or-link') {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Opened from an emailed link in a browser, so it carries no API key or authorizer header; the handler verifies the signed, expiring link token or a bearer JWT and audits every download.',
      });
    } else if (route.auth === 'none') {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Serves the public OpenAPI document of the API; it needs a usage-plan API key but no user identity.',
      });
    }
    return method;
  }
}

function jwtEnvironment(jwt: JwtSettings): Record<string, string> {
  return { JWT_JWKS_URL: jwt.jwksUrl, JWT_ISSUER: jwt.issuer, JWT_AUDIENCE: jwt.audience };
}

function capitalise(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
