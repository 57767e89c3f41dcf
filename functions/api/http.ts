import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { type Principal, principalFromClaims } from '../domain/access/auth.js';
import { attachmentDisposition } from '../domain/engine/content-disposition.js';
import {
  ExportError,
  type FieldIssue,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from '../domain/errors.js';
import { parseOrThrow, type Schema, zodIssues } from '../domain/validation.js';
import { logger, metrics, tracer } from '../platform/powertools.js';

export type ApiEvent = APIGatewayProxyEvent;

/** Count of requests refused for missing or invalid credentials (bearer or link token). */
export const UNAUTHENTICATED_METRIC = 'ApiUnauthenticated';
export type ApiResult = APIGatewayProxyResult;

/** The one error shape of the API (docs/api.md). */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: unknown };
}

/** Statuses an ExportError may answer with as itself; anything else is an internal error. */
const CLIENT_VISIBLE = new Set([400, 401, 403, 404, 409, 413, 429, 503]);

const BASE_HEADERS = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' } as const;

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return {
    statusCode,
    headers: { ...BASE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify(body),
  };
}

/** `Content-Disposition: attachment` with an ASCII fallback and the RFC 8187 UTF-8 name. */
export const contentDisposition = attachmentDisposition;

/**
 * A file download. Text types travel as UTF-8 text, anything else base64 with `isBase64Encoded`
 * (API Gateway needs the type, or a wildcard, in its binary media types to turn it back into bytes).
 */
export function file(body: Buffer, contentType: string, fileName: string): ApiResult {
  const text = /^(text\/|application\/(json|xml|x-ndjson))/.test(contentType);
  return {
    statusCode: 200,
    headers: {
      ...BASE_HEADERS,
      'Content-Type': contentType,
      'Content-Disposition': contentDisposition(fileName),
    },
    body: text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !text,
  };
}

/** A 302 to `location`; no referrer, so a link token in the request URL is not passed on. */
export function redirect(location: string): ApiResult {
  return {
    statusCode: 302,
    headers: { ...BASE_HEADERS, Location: location, 'Referrer-Policy': 'no-referrer' },
    body: '',
  };
}

export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return { error: { code, message, ...(details !== undefined && { details }) } };
}

type ErrorLog = Pick<typeof logger, 'error' | 'warn' | 'debug'>;

/**
 * The one place errors become HTTP responses. Deliberate errors keep their status and code
 * (4xx, and 503 for dependencies worth retrying); anything else is a 500 `internal_error` whose
 * details stay in the log, written here and only here.
 */
export function errorResponse(error: unknown, log: ErrorLog = logger): ApiResult {
  if (error instanceof ExportError && CLIENT_VISIBLE.has(error.status)) {
    const headers: Record<string, string> = {};
    if (error instanceof RateLimitedError) headers['Retry-After'] = String(error.retryAfterSeconds);
    if (error.status === 503) headers['Retry-After'] = '5';
    if (error instanceof UnauthorizedError) headers['WWW-Authenticate'] = 'Bearer';
    if (error.status === 503) log.warn('dependency unavailable', { code: error.code, error });
    else log.debug('request refused', { status: error.status, code: error.code });
    return json(error.status, errorBody(error.code, error.message, error.details), headers);
  }
  log.error('unhandled error', { error });
  return json(500, errorBody('internal_error', 'an unexpected error occurred; it has been logged'));
}

/** The 401 a gateway returns when the authorizer rejects a request (local runtime, tests, gateway responses). */
export function unauthorizedResponse(message = 'a valid bearer token is required'): ApiResult {
  return errorResponse(new UnauthorizedError(message));
}

// ---------------------------------------------------------------------------------------------
// Request parsing

/** A header by case-insensitive name; repeated headers (multi-value) are a 400 naming it. */
export function header(
  event: {
    readonly headers?: Readonly<Record<string, string | undefined>> | null;
    readonly multiValueHeaders?: Readonly<Record<string, readonly string[] | undefined>> | null;
  },
  name: string,
): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values && values.length > 1) {
      throw ValidationError.field(`headers.${name}`, 'must be given once');
    }
  }
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/**
 * Whether the `Accept` header names `application/json` itself (not merely `*\/*`, which browsers
 * and curl send): the client asked for JSON rather than the route's default representation.
 */
export function acceptsJson(event: Pick<ApiEvent, 'headers' | 'multiValueHeaders'>): boolean {
  const accept = header(event, 'accept') ?? '';
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = params.find((param) => param.startsWith('q='));
    return type === 'application/json' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/**
 * Parses the JSON body: 413 past `maxBytes`, 400 naming `body` when it is not UTF-8 JSON.
 * An absent body is `undefined` (the schema decides whether that is allowed).
 */
export function jsonBody(event: Pick<ApiEvent, 'body' | 'isBase64Encoded'>, maxBytes: number): unknown {
  const raw = event.body;
  if (raw === null || raw === undefined || raw === '') return undefined;
  // A base64 string is 4/3 of its bytes: refuse a huge one before decoding it.
  if (raw.length > (event.isBase64Encoded ? Math.ceil(maxBytes / 3) * 4 + 4 : maxBytes * 4)) {
    throw new PayloadTooLargeError(`the request body exceeds ${maxBytes} bytes`);
  }
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) throw new PayloadTooLargeError(`the request body exceeds ${maxBytes} bytes`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw ValidationError.field('body', 'must be UTF-8 encoded JSON');
  }
  if (text.trim() === '') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw ValidationError.field('body', `is not valid JSON: ${(error as Error).message.slice(0, 200)}`);
  }
  // A `__proto__` key is refused by `parseOrThrow`, which every parsed body goes through.
  return body;
}

/** Parses a body with a zod schema; an absent body is parsed as `undefined`. */
export function parseBody<S extends Schema>(schema: S, event: ApiEvent, maxBytes: number): z.output<S> {
  const body = jsonBody(event, maxBytes);
  if (body === undefined && !z.safeParse(schema, undefined).success) {
    throw ValidationError.field('body', 'a JSON body is required');
  }
  return parseOrThrow(schema, body);
}

/**
 * Parameters keyed by names from the request: without a prototype, `__proto__` or `constructor`
 * is a key like any other, which the strict schema then refuses as an unknown field.
 */
function requestKeyed(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/**
 * Validates the query string with a strict zod object: unknown parameters and repeated ones are
 * 400s naming them. Values arrive as strings.
 */
export function parseQuery<S extends Schema>(schema: S, event: ApiEvent): z.output<S> {
  const issues: FieldIssue[] = [];
  const params = requestKeyed();
  for (const [key, values] of Object.entries(event.multiValueQueryStringParameters ?? {})) {
    if (values && values.length > 1) issues.push({ field: key, message: 'must be given once' });
  }
  for (const [key, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) params[key] = value;
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return parseOrThrow(schema, params);
}

/** Validates path parameters (a malformed id is a 400 naming it, never a database error). */
export function parsePath<S extends Schema>(schema: S, event: ApiEvent): z.output<S> {
  const params = requestKeyed();
  for (const [key, value] of Object.entries(event.pathParameters ?? {})) {
    if (value !== undefined) params[key] = value;
  }
  return parseOrThrow(schema, params);
}

/** Validates the headers a route documents (see `HeaderSpec`); absent ones are left out. */
export function parseHeaders(
  specs: readonly { readonly name: string; readonly schema: Schema }[],
  event: ApiEvent,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const issues: FieldIssue[] = [];
  for (const spec of specs) {
    const value = header(event, spec.name);
    if (value === undefined) continue;
    const result = z.safeParse(spec.schema, value);
    if (result.success) values[spec.name] = result.data;
    else issues.push(...zodIssues(result.error, ['headers', spec.name]));
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return values;
}

/** The context the authorizer attaches (API Gateway passes only strings, numbers and booleans). */
const AuthorizerContext = z.object({
  userId: z.string(),
  email: z.optional(z.string()),
  roles: z.optional(z.string()),
});

/**
 * The caller, from the context the Lambda authorizer attached (`userId`, `email`, `roles` as a
 * JSON array string). No context means the request did not pass the authorizer: 401.
 */
export function principalFromEvent(event: Pick<ApiEvent, 'requestContext'>): Principal {
  const parsed = z.safeParse(AuthorizerContext, event.requestContext?.authorizer);
  if (!parsed.success) throw new UnauthorizedError();
  let roles: unknown = [];
  try {
    roles = parsed.data.roles ? JSON.parse(parsed.data.roles) : [];
  } catch {
    throw new UnauthorizedError('the authorizer context is malformed');
  }
  return principalFromClaims({ sub: parsed.data.userId, email: parsed.data.email || null, roles });
}

/** True when `Prefer` asks for `respond-async` (RFC 7240). */
export function prefersAsync(event: ApiEvent): boolean {
  const prefer = header(event, 'prefer');
  if (prefer === undefined) return false;
  return prefer.split(',').some((part) => part.split(';')[0]?.trim().toLowerCase() === 'respond-async');
}

// ---------------------------------------------------------------------------------------------
// The middy pipeline shared by every HTTP handler

/** Maps any error to the API's JSON error response (see {@link errorResponse}). Registered last, so it runs first on error. */
export function httpErrors(): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: (request) => {
      request.response = errorResponse(request.error);
      // Returning nothing lets the Powertools middlewares run their own onError (flush, reset).
    },
  };
}

/**
 * Counts responses by status class (`Api2xx`, `Api4xx`…) with the route as metadata, and refusals
 * of requests without valid credentials as `ApiUnauthenticated`: those are counted, never written
 * to the audit log one by one (anyone can send them). Per-route dimensions are left to API
 * Gateway's own metrics; a dimension here would be shared state between the concurrent requests of
 * the local runtime.
 */
function requestMetrics(route: string): MiddlewareObj<ApiEvent, ApiResult> {
  const count = (request: { response: ApiResult | null | undefined }) => {
    const status = request.response?.statusCode ?? 500;
    metrics.addMetadata('route', route);
    metrics.addMetric(`Api${Math.floor(status / 100)}xx`, MetricUnit.Count, 1);
    if (status === 401) metrics.addMetric(UNAUTHENTICATED_METRIC, MetricUnit.Count, 1);
  };
  return { after: count, onError: count };
}

export type RouteHandler<D> = (event: ApiEvent, deps: D, context: Context) => Promise<ApiResult>;

/**
 * Wraps a route in the house middy pipeline: tracer, then logger (keys reset per request), then
 * metrics, then request metrics and the error mapping. `deps` is resolved per request but built
 * once per cold start by its provider (see `api-context.ts`).
 */
export function httpHandler<D>(route: string, deps: () => D | Promise<D>, handle: RouteHandler<D>) {
  return middy<ApiEvent, ApiResult>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(requestMetrics(route))
    .use(httpErrors())
    .handler(async (event, context) => {
      logger.appendKeys({ route, requestId: event.requestContext?.requestId });
      return handle(event, await deps(), context);
    });
}
