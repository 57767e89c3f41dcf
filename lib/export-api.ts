import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  ApiKey,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  MethodLoggingLevel,
  type Model,
  Period,
  RequestAuthorizer,
  type RequestValidator,
  type Resource,
  ResponseType,
  RestApi,
  type UsagePlan,
} from 'aws-cdk-lib/aws-apigateway';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { FunctionNetwork } from './database-access.js';
import { ExportApiWaf } from './export-api-waf.js';
import { ExportFunction } from './export-function.js';
import { type HandlerName, handlerEntryPath } from './handler-entries.js';

/** Base path of every route (DESIGN §6). */
export const API_BASE_PATH = 'api/export';

export type ApiHandlerName = Exclude<HandlerName, 'authorizer' | 'exportWorker'>;

/**
 * How a route is protected:
 * - `jwt`: usage-plan API key and the JWT REQUEST authorizer;
 * - `api-key`: API key only (the OpenAPI document);
 * - `link-token`: neither; opened from an emailed link in a browser, the handler itself checks the
 *   signed link token (or a bearer token).
 */
export type RouteAccess = 'jwt' | 'api-key' | 'link-token';

export interface ApiRoute {
  readonly handler: ApiHandlerName;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Below `/api/export`, e.g. `jobs/{jobId}`. */
  readonly path: string;
  readonly access: RouteAccess;
  /** Whether the handler reads Postgres (and so runs in the VPC). */
  readonly database: boolean;
  readonly description: string;
  /** Optional query string parameters, declared for validation and documentation. */
  readonly query?: readonly string[];
  /** JSON body model checked by API Gateway before the handler runs. */
  readonly body?: 'BulkExportRequest';
  /** @default 512 */
  readonly memorySize?: number;
}

/** Every route of DESIGN §6. */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    handler: 'userExport',
    method: 'GET',
    path: 'user/{userId}',
    access: 'jwt',
    database: true,
    description: "One user's data, inline or as an asynchronous job",
    query: ['format', 'formulaGuard'],
    memorySize: 1024,
  },
  {
    handler: 'bulkExport',
    method: 'POST',
    path: 'bulk',
    access: 'jwt',
    database: true,
    description: 'Queue a bulk export of catalogue tables',
    body: 'BulkExportRequest',
  },
  {
    handler: 'getJob',
    method: 'GET',
    path: 'jobs/{jobId}',
    access: 'jwt',
    database: true,
    description: 'Job status',
  },
  {
    handler: 'listJobs',
    method: 'GET',
    path: 'jobs',
    access: 'jwt',
    database: true,
    description: 'List jobs, newest first',
    query: ['status', 'cursor', 'limit'],
  },
  {
    handler: 'cancelJob',
    method: 'DELETE',
    path: 'jobs/{jobId}',
    access: 'jwt',
    database: true,
    description: 'Cancel a queued or running job',
  },
  {
    handler: 'downloadJob',
    method: 'GET',
    path: 'jobs/{jobId}/download',
    access: 'link-token',
    database: true,
    description: 'Redirect to a freshly presigned URL of the export object',
    query: ['token'],
  },
  {
    handler: 'listSchedules',
    method: 'GET',
    path: 'schedules',
    access: 'jwt',
    database: true,
    description: 'Scheduled export catalogue with next run times',
  },
  {
    handler: 'runSchedule',
    method: 'POST',
    path: 'schedules/{name}/run',
    access: 'jwt',
    database: true,
    description: 'Run a scheduled export now or for a past date',
  },
  {
    handler: 'getMetrics',
    method: 'GET',
    path: 'metrics',
    access: 'jwt',
    database: true,
    description: 'Export metrics',
    query: ['since'],
  },
  {
    handler: 'getLimits',
    method: 'GET',
    path: 'limits',
    access: 'jwt',
    database: true,
    description: "The caller's remaining export requests",
  },
  {
    handler: 'getCatalogue',
    method: 'GET',
    path: 'catalogue',
    access: 'jwt',
    database: false,
    description: 'The exportable tables and columns',
  },
  {
    handler: 'openapi',
    method: 'GET',
    path: 'openapi.json',
    access: 'api-key',
    database: false,
    description: 'OpenAPI document',
  },
];

/** Formats accepted by `POST /bulk` (DESIGN §1); the handler validates the rest of the body. */
const EXPORT_FORMATS = ['json', 'ndjson', 'csv', 'xml', 'parquet'];

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
 * The REST API of DESIGN §6: a Lambda REQUEST authorizer (cached) for JWTs, request validation,
 * JSON access logs, binary media types for zip and gzip downloads, the service's error shape on
 * gateway errors, and usage plans with API keys.
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
      // base64 request bodies (functions/shared/http.ts).
      binaryMediaTypes: ['*/*'],
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
        accessLogFormat: accessLogFormat(),
      },
    });
    this.publicUrl =
      props.publicUrl ??
      // Built from the API id, not `restApi.url`: handlers of this API get the URL, and a reference
      // to the stage would make the stage depend on itself through the deployment.
      `https://${this.restApi.restApiId}.execute-api.${Aws.REGION}.${Aws.URL_SUFFIX}/${props.stageName}`;
    this.addGatewayResponses();

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

    const validator = this.restApi.addRequestValidator('RequestValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const models = { BulkExportRequest: this.bulkExportModel() };

    const handlers: Partial<Record<ApiHandlerName, ExportFunction>> = {};
    const methods = new Map<string, Method>();
    const base = this.restApi.root.resourceForPath(API_BASE_PATH);
    for (const route of API_ROUTES) {
      if (route.database && !props.network) {
        throw new Error(
          `ExportApi: route ${route.method} ${route.path} reads the database; props.network is required`,
        );
      }
      const handler = new ExportFunction(this, `${capitalise(route.handler)}Function`, {
        ...functionDefaults,
        entry: handlerEntryPath(route.handler),
        description: `${route.method} /${API_BASE_PATH}/${route.path}: ${route.description}`,
        memorySize: route.memorySize,
        network: route.database ? props.network : undefined,
        ...(route.access === 'link-token' && {
          reservedConcurrentExecutions: props.publicRouteConcurrency ?? 10,
        }),
        environment: {
          ...props.environment,
          ...(route.access === 'link-token' ? jwtEnvironment(props.jwt) : {}),
        },
      });
      handlers[route.handler] = handler;
      const method = this.addRoute(base, route, handler, validator, models);
      methods.set(`${route.method} ${route.path}`, method);
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
      publicPathSuffixes: API_ROUTES.filter((route) => route.access === 'link-token').map(
        (route) => `/${route.path.split('/').at(-1)}`,
      ),
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

  private addRoute(
    base: Resource,
    route: ApiRoute,
    handler: ExportFunction,
    validator: RequestValidator,
    models: Record<'BulkExportRequest', Model>,
  ): Method {
    const resource = base.resourceForPath(route.path);
    const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    const requestParameters: Record<string, boolean> = {};
    for (const name of pathParameters) requestParameters[`method.request.path.${name}`] = true;
    for (const name of route.query ?? []) requestParameters[`method.request.querystring.${name}`] = false;
    const method = resource.addMethod(
      route.method,
      new LambdaIntegration(handler, { allowTestInvoke: false }),
      {
        operationName: route.handler,
        apiKeyRequired: route.access !== 'link-token',
        ...(route.access === 'jwt'
          ? { authorizer: this.authorizer, authorizationType: AuthorizationType.CUSTOM }
          : { authorizationType: AuthorizationType.NONE }),
        requestValidator: validator,
        requestParameters,
        ...(route.body && { requestModels: { 'application/json': models[route.body] } }),
      },
    );
    if (route.access === 'link-token') {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Opened from an emailed link in a browser, so it carries no API key or authorizer header; the handler verifies the signed, expiring link token or a bearer JWT and audits every download.',
      });
    } else if (route.access === 'api-key') {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Serves the public OpenAPI document of the API; it needs a usage-plan API key but no user identity.',
      });
    }
    return method;
  }

  private bulkExportModel(): Model {
    return this.restApi.addModel('BulkExportRequestModel', {
      contentType: 'application/json',
      modelName: 'BulkExportRequest',
      description:
        'Shape of POST /bulk; the handler checks tables, filters and columns against the catalogue',
      schema: {
        schema: JsonSchemaVersion.DRAFT4,
        title: 'BulkExportRequest',
        type: JsonSchemaType.OBJECT,
        required: ['tables', 'format'],
        properties: {
          tables: { type: JsonSchemaType.ARRAY, minItems: 1, items: { type: JsonSchemaType.STRING } },
          format: { type: JsonSchemaType.STRING, enum: EXPORT_FORMATS },
          filters: { type: JsonSchemaType.OBJECT },
          columns: { type: JsonSchemaType.OBJECT },
          compression: { type: JsonSchemaType.STRING },
          csv: { type: JsonSchemaType.OBJECT },
        },
      },
    });
  }

  /** Gateway-generated errors in the service's shape `{"error": {"code", "message"}}`. */
  private addGatewayResponses(): void {
    const responses: Array<[ResponseType, string, string?]> = [
      [ResponseType.UNAUTHORIZED, 'unauthorized'],
      [ResponseType.ACCESS_DENIED, 'forbidden'],
      [ResponseType.INVALID_API_KEY, 'forbidden'],
      [ResponseType.MISSING_AUTHENTICATION_TOKEN, 'not_found', '404'],
      [ResponseType.THROTTLED, 'rate_limited'],
      [ResponseType.QUOTA_EXCEEDED, 'rate_limited'],
      [ResponseType.BAD_REQUEST_BODY, 'validation_failed'],
      [ResponseType.BAD_REQUEST_PARAMETERS, 'validation_failed'],
      [ResponseType.REQUEST_TOO_LARGE, 'payload_too_large'],
      [ResponseType.DEFAULT_4XX, 'bad_request'],
      [ResponseType.DEFAULT_5XX, 'internal_error'],
    ];
    for (const [type, code, statusCode] of responses) {
      // messageString is already a quoted JSON string; other error fields may contain raw quotes.
      const message = '$context.error.messageString';
      this.restApi.addGatewayResponse(`GatewayResponse-${type.responseType}`, {
        type,
        statusCode,
        templates: { 'application/json': `{"error":{"code":"${code}","message":${message}}}` },
      });
    }
  }
}

function jwtEnvironment(jwt: JwtSettings): Record<string, string> {
  return { JWT_JWKS_URL: jwt.jwksUrl, JWT_ISSUER: jwt.issuer, JWT_AUDIENCE: jwt.audience };
}

function capitalise(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** JSON access log line: who called what, with which key and outcome; never query strings (link tokens). */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      ip: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      status: AccessLogField.contextStatus(),
      protocol: AccessLogField.contextProtocol(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      apiKeyId: AccessLogField.contextIdentityApiKeyId(),
      principalId: AccessLogField.contextAuthorizerPrincipalId(),
      authorizeStatus: AccessLogField.contextAuthorizeStatus(),
      errorType: AccessLogField.contextErrorResponseType(),
      errorMessage: AccessLogField.contextErrorMessage(),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
    }),
  );
}
