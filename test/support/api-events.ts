import { randomUUID } from 'node:crypto';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { unauthorizedResponse } from '../../functions/api/http.js';
import { createAccessToken } from '../../functions/domain/access/auth.js';
import { lambdaContext } from '../../local/lambda-context.js';

/** The HS256 secret the API tests sign bearer tokens with. */
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789';
/** The key that signs download link tokens in the API tests. */
export const TEST_LINK_SECRET = 'test-link-secret-0123456789abcdef012345678';

export const METHOD_ARN = 'arn:aws:execute-api:us-east-1:000000000000:api1234567/test/GET/api/export/jobs';

export interface ApiEventInit {
  readonly method?: string;
  /** The resource path as API Gateway reports it, e.g. `/api/export/jobs/{jobId}`. */
  readonly resource?: string;
  readonly pathParameters?: Record<string, string> | null;
  /** Single-valued query parameters. */
  readonly query?: Record<string, string> | null;
  /** Multi-valued query parameters (repeated keys); `query` is derived from the last values when absent. */
  readonly multiQuery?: Record<string, string[]> | null;
  readonly headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  readonly body?: unknown;
  readonly isBase64Encoded?: boolean;
  /** The authorizer context; absent means the request did not pass an authorizer. */
  readonly authorizer?: Record<string, string> | null;
}

/** An API Gateway REST proxy event (the shape the handlers receive in AWS and locally). */
export function apiEvent(init: ApiEventInit = {}): APIGatewayProxyEvent {
  const headers = init.headers ?? {};
  const multiQuery =
    init.multiQuery ??
    (init.query ? Object.fromEntries(Object.entries(init.query).map(([k, v]) => [k, [v]])) : null);
  const query =
    init.query ??
    (init.multiQuery
      ? Object.fromEntries(Object.entries(init.multiQuery).map(([k, v]) => [k, v[v.length - 1] ?? '']))
      : null);
  const body =
    init.body === undefined ? null : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  return {
    resource: init.resource ?? '/api/export',
    path: init.resource ?? '/api/export',
    httpMethod: init.method ?? 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters: init.pathParameters ?? null,
    stageVariables: null,
    body,
    isBase64Encoded: init.isBase64Encoded ?? false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'api1234567',
      authorizer: init.authorizer ?? null,
      protocol: 'HTTP/1.1',
      httpMethod: init.method ?? 'GET',
      identity: {} as APIGatewayProxyEvent['requestContext']['identity'],
      path: init.resource ?? '/api/export',
      stage: 'test',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: init.resource ?? '/api/export',
    },
  };
}

/** The REQUEST authorizer event API Gateway sends for a request with these headers. */
export function authorizerEvent(
  headers: Record<string, string> = {},
  methodArn = METHOD_ARN,
): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn,
    resource: '/api/export/jobs',
    path: '/api/export/jobs',
    httpMethod: 'GET',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    pathParameters: null,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;
export type ApiHandler = LambdaHandler<APIGatewayProxyEvent, APIGatewayProxyResult>;
export type AuthorizerHandler = LambdaHandler<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>;

export function apiContext(): Context {
  return lambdaContext({ functionName: 'export-api', timeoutMs: 29_000 });
}

/** Calls a handler in-process as Lambda would. */
export function invoke(handler: ApiHandler, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  return handler(event, apiContext());
}

/**
 * What API Gateway does for a route behind the authorizer: runs the authorizer on the request's
 * headers; a thrown `Unauthorized` becomes the 401 gateway response, an Allow policy puts its
 * context on `requestContext.authorizer` and invokes the route.
 */
export async function viaGateway(
  authorizer: AuthorizerHandler,
  handler: ApiHandler,
  init: ApiEventInit,
): Promise<APIGatewayProxyResult> {
  let result: APIGatewayAuthorizerResult;
  try {
    result = await authorizer(authorizerEvent(init.headers ?? {}), apiContext());
  } catch (error) {
    if ((error as Error).message === 'Unauthorized') return unauthorizedResponse();
    throw error;
  }
  if (result.policyDocument.Statement.some((s) => s.Effect !== 'Allow')) {
    return {
      statusCode: 403,
      body: JSON.stringify({ error: { code: 'forbidden', message: 'denied by the authorizer' } }),
    };
  }
  const context = Object.fromEntries(
    Object.entries(result.context ?? {}).map(([k, v]) => [k, String(v)]),
  ) as Record<string, string>;
  return invoke(handler, apiEvent({ ...init, authorizer: { ...context, principalId: result.principalId } }));
}

/** An HS256 bearer token the test authorizer accepts. */
export function bearerToken(
  sub: string,
  options: { admin?: boolean; email?: string; roles?: string[]; ttlSeconds?: number; secret?: string } = {},
): Promise<string> {
  return createAccessToken(
    options.secret ?? TEST_JWT_SECRET,
    {
      sub,
      email: options.email ?? `${sub.slice(0, 8)}@example.com`,
      roles: options.roles ?? (options.admin ? ['admin'] : []),
    },
    { ttlSeconds: options.ttlSeconds ?? 3600 },
  );
}

/** The authorizer context for a principal, without running the authorizer (unit tests). */
export function authorizerContext(
  sub: string,
  options: { admin?: boolean; email?: string } = {},
): Record<string, string> {
  return {
    userId: sub,
    email: options.email ?? `${sub.slice(0, 8)}@example.com`,
    roles: JSON.stringify(options.admin ? ['admin'] : []),
    principalId: sub,
  };
}

/** The parsed JSON body of a response. */
export function bodyOf<T = Record<string, unknown>>(response: APIGatewayProxyResult): T {
  return JSON.parse(response.body) as T;
}

/** Header value by case-insensitive name. */
export function headerOf(response: APIGatewayProxyResult, name: string): string | undefined {
  const entry = Object.entries(response.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return entry === undefined ? undefined : String(entry[1]);
}
