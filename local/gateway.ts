import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayEventRequestContextWithAuthorizer,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { BINARY_MEDIA_TYPES } from '../functions/api/api-routes.js';
import { policyAllows } from './authorizer-policy.js';
import type { StaticSite } from './console-files.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, lambdaContext, withTimeout } from './lambda-context.js';
import { hasBody, isBinary, queryParameters, readBody, requestHeaders } from './proxy-request.js';
import { matchRoute } from './route-matching.js';
import { type UsagePlanLimits, UsagePlanMeter } from './usage-plan-meter.js';

export type { UsagePlanLimits } from './usage-plan-meter.js';

/** A REST API proxy-integration handler, as every HTTP Lambda of the service exports it. */
export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/** A REQUEST Lambda authorizer. */
export type AuthorizerHandler = (
  event: APIGatewayRequestAuthorizerEvent,
  context: Context,
) => Promise<APIGatewayAuthorizerResult>;

/** One method of the REST API. */
export interface GatewayRoute {
  readonly method: string;
  /** Resource path with `{param}` segments, e.g. `/api/export/jobs/{jobId}`. */
  readonly resource: string;
  /** Name used in the fake Lambda context and the logs. */
  readonly functionName: string;
  /** Runs the REQUEST authorizer before the handler (`AuthorizationType.CUSTOM`). */
  readonly authorizer: boolean;
  /** Requires a usage-plan API key in `x-api-key` (and counts against its throttle and quota). */
  readonly apiKeyRequired: boolean;
  /** Resolved on first use, so handler modules load only after the environment is set. */
  readonly handler: () => Promise<ProxyHandler>;
}

export interface GatewayProps {
  readonly routes: readonly GatewayRoute[];
  readonly authorizer: () => Promise<AuthorizerHandler>;
  /** Valid `x-api-key` values. */
  readonly apiKeys: readonly string[];
  readonly usagePlan: UsagePlanLimits;
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 10 MiB, API Gateway's payload limit */
  readonly maxBodyBytes?: number;
  /** @default 29 000 (API Gateway's integration timeout) */
  readonly integrationTimeoutMs?: number;
  /** @default 10 000 */
  readonly authorizerTimeoutMs?: number;
  /** Request bodies of these types reach the handler base64-encoded. @default the stack's binary media types */
  readonly binaryMediaTypes?: readonly string[];
  /** @default 'local' */
  readonly stage?: string;
  /** One line per request (method, path without query string, status, duration); never query strings, which may hold link tokens. */
  readonly log?: (line: string) => void;
  /** Where handler crashes are reported (CloudWatch in AWS). @default console.error */
  readonly logError?: (message: string, error: unknown) => void;
  /** Static files served under their prefix before any route matching, with no API key (CloudFront's S3 origin in AWS). */
  readonly staticSite?: StaticSite;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const API_ID = 'localapi';
/** Lambda's synchronous response payload limit. */
const MAX_LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024;

/**
 * API Gateway's own errors in the service's shape, as the stack's gateway responses render them
 * (`{"error": {"code", "message"}}`), with API Gateway's messages and `x-amzn-ErrorType`.
 */
const GATEWAY_ERRORS = {
  missingToken: [404, 'not_found', 'Missing Authentication Token', 'MissingAuthenticationTokenException'],
  unauthorized: [401, 'unauthorized', 'Unauthorized', 'UnauthorizedException'],
  accessDenied: [403, 'forbidden', 'User is not authorized to access this resource', 'AccessDeniedException'],
  invalidApiKey: [403, 'forbidden', 'Forbidden', 'ForbiddenException'],
  throttled: [429, 'rate_limited', 'Too Many Requests', 'TooManyRequestsException'],
  quotaExceeded: [429, 'rate_limited', 'Limit Exceeded', 'LimitExceededException'],
  tooLarge: [413, 'payload_too_large', 'Request Too Large', 'RequestTooLargeException'],
  authorizerFailed: [500, 'internal_error', 'Internal server error', 'AuthorizerConfigurationException'],
  integrationFailed: [502, 'internal_error', 'Internal server error', 'InternalServerErrorException'],
  integrationTimeout: [504, 'internal_error', 'Endpoint request timed out', 'InternalServerErrorException'],
} as const satisfies Record<string, readonly [number, string, string, string]>;

type GatewayError = keyof typeof GATEWAY_ERRORS;

function isProxyResult(value: unknown): value is APIGatewayProxyResult {
  if (typeof value !== 'object' || value === null) return false;
  const result = value as Partial<APIGatewayProxyResult>;
  return (
    Number.isInteger(result.statusCode) &&
    (result.body === undefined || result.body === null || typeof result.body === 'string')
  );
}

/**
 * The REST API on one machine: a node:http server that maps requests to the routes' Lambda
 * handlers with REST proxy events, as API Gateway does. Per request, in API Gateway's order:
 * payload limit (413), route (404 for unknown resources and methods), the REQUEST authorizer
 * (401 when it throws `Unauthorized`, 403 when its policy does not allow the method ARN), the
 * `x-api-key` (403), the usage plan's throttle and quota (429), then the handler, whose
 * base64-encoded (binary) responses are decoded. Handler crashes are 502, timeouts 504.
 */
export async function startGateway(props: GatewayProps): Promise<Gateway> {
  const stage = props.stage ?? 'local';
  const host = props.host ?? '127.0.0.1';
  const maxBodyBytes = props.maxBodyBytes ?? 10 * 1024 * 1024;
  const integrationTimeoutMs = props.integrationTimeoutMs ?? 29_000;
  const authorizerTimeoutMs = props.authorizerTimeoutMs ?? 10_000;
  const binaryTypes = props.binaryMediaTypes ?? BINARY_MEDIA_TYPES;
  const apiKeys = new Set(props.apiKeys);
  const meter = new UsagePlanMeter(props.usagePlan);
  const log = props.log ?? (() => {});
  const logError = props.logError ?? ((message, error) => console.error(message, error));

  const send = (
    res: ServerResponse,
    requestId: string,
    status: number,
    headers: Record<string, string | string[]>,
    body: Buffer,
  ) => {
    const out: Record<string, string | string[]> = { 'Content-Type': 'application/json', ...headers };
    out['x-amzn-RequestId'] = requestId;
    out['Content-Length'] = String(body.length);
    res.writeHead(status, out);
    res.end(body);
  };
  const fail = (res: ServerResponse, requestId: string, error: GatewayError, close = false) => {
    const [status, code, message, type] = GATEWAY_ERRORS[error];
    const headers: Record<string, string> = { 'x-amzn-ErrorType': type };
    if (close) headers.Connection = 'close';
    send(res, requestId, status, headers, Buffer.from(JSON.stringify({ error: { code, message } })));
    return status;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<number> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://gateway.local');
    // Nothing of the body is read before the caller is authenticated: a declared size over the
    // limit is refused at once, and a refusal before the body was read closes the connection
    // instead of draining what the client still sends.
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes)
      return fail(res, requestId, 'tooLarge', true);
    const refuse = (error: GatewayError) => fail(res, requestId, error, hasBody(req));

    const matched = matchRoute(props.routes, method, url.pathname);
    if (!matched) return refuse('missingToken');
    const { route, pathParameters } = matched;
    const { headers, multiValueHeaders } = requestHeaders(req);
    const query = queryParameters(url);
    const now = new Date();
    const apiKey = req.headers['x-api-key'];
    const apiKeyValue = typeof apiKey === 'string' ? apiKey : null;
    const requestContext: APIGatewayEventRequestContextWithAuthorizer<undefined> = {
      accountId: LOCAL_ACCOUNT,
      apiId: API_ID,
      authorizer: undefined,
      domainName: req.headers.host ?? host,
      extendedRequestId: requestId,
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: route.apiKeyRequired ? apiKeyValue : null,
        apiKeyId: route.apiKeyRequired && apiKeyValue ? 'local-api-key' : null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        user: null,
        userAgent: req.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${stage}${url.pathname}`,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTime: now.toUTCString(),
      requestTimeEpoch: now.getTime(),
      resourceId: route.resource,
      resourcePath: route.resource,
      stage,
    };
    const common = {
      resource: route.resource,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      pathParameters,
      ...query,
      stageVariables: null,
    };

    let authorizerContext: Record<string, unknown> | null = null;
    if (route.authorizer) {
      const methodArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${API_ID}/${stage}/${method}${url.pathname}`;
      const started = Date.now();
      let result: APIGatewayAuthorizerResult;
      try {
        const authorizer = await props.authorizer();
        result = await withTimeout(
          authorizer(
            { type: 'REQUEST', methodArn, ...common, requestContext },
            lambdaContext({ functionName: 'authorizer', timeoutMs: authorizerTimeoutMs }),
          ),
          authorizerTimeoutMs,
          'authorizer',
        );
      } catch (error) {
        if (error instanceof Error && error.message === 'Unauthorized') return refuse('unauthorized');
        logError(`authorizer failed (request ${requestId})`, error);
        return refuse('authorizerFailed');
      }
      if (!result?.policyDocument || typeof result.principalId !== 'string') {
        logError(`authorizer returned no policy (request ${requestId})`, result);
        return refuse('authorizerFailed');
      }
      if (!policyAllows(result, methodArn)) return refuse('accessDenied');
      // API Gateway hands context values to the integration as strings.
      authorizerContext = { principalId: result.principalId, integrationLatency: Date.now() - started };
      for (const [key, value] of Object.entries(result.context ?? {})) {
        authorizerContext[key] = value === null || value === undefined ? value : String(value);
      }
    }

    if (route.apiKeyRequired) {
      if (apiKeyValue === null || !apiKeys.has(apiKeyValue)) return refuse('invalidApiKey');
      const refused = meter.take(apiKeyValue);
      if (refused) return refuse(refused);
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === undefined) return fail(res, requestId, 'tooLarge', true);

    const binary = isBinary(req.headers['content-type'], binaryTypes);
    const event: APIGatewayProxyEvent = {
      ...common,
      requestContext: { ...requestContext, authorizer: authorizerContext },
      body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
      isBase64Encoded: body.length > 0 && binary,
    };
    let result: unknown;
    try {
      const handler = await route.handler();
      result = await withTimeout(
        handler(event, lambdaContext({ functionName: route.functionName, timeoutMs: integrationTimeoutMs })),
        integrationTimeoutMs,
        route.functionName,
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'InvocationTimeoutError') {
        logError(`${route.functionName} timed out (request ${requestId})`, error);
        return fail(res, requestId, 'integrationTimeout');
      }
      logError(`${route.functionName} failed (request ${requestId})`, error);
      return fail(res, requestId, 'integrationFailed');
    }
    if (!isProxyResult(result) || JSON.stringify(result).length > MAX_LAMBDA_RESPONSE_BYTES) {
      logError(
        `${route.functionName} returned a malformed or oversized response (request ${requestId})`,
        result,
      );
      return fail(res, requestId, 'integrationFailed');
    }
    const out: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) out[name] = String(value);
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
      out[name] = values.map(String);
    const payload = result.isBase64Encoded
      ? Buffer.from(result.body ?? '', 'base64')
      : Buffer.from(result.body ?? '', 'utf8');
    send(res, requestId, result.statusCode, out, payload);
    return result.statusCode;
  };

  const server = http.createServer((req, res) => {
    const requestId = randomUUID();
    const started = performance.now();
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const site = props.staticSite;
    const isStatic = site && (path.startsWith(site.prefix) || path === site.prefix.slice(0, -1));
    (isStatic ? site.serve(req, res) : handle(req, res, requestId))
      .then((status) => {
        log(`${req.method} ${path} ${status} ${Math.round(performance.now() - started)} ms`);
      })
      .catch((error: unknown) => {
        logError(`gateway error (request ${requestId})`, error);
        if (!res.headersSent) fail(res, requestId, 'integrationFailed');
        else res.destroy();
      });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(props.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
