import * as z from 'zod/mini';
import type { Schema } from '../domain/validation.js';
import { API_BASE_PATH, API_ROUTES, type ObjectSchema, type RouteSpec } from './api-routes.js';
import { ErrorResponse } from './api-schemas.js';

type JsonSchema = Record<string, unknown>;

/** JSON Schema 2020-12 (OpenAPI 3.1's dialect) of a zod schema, as requests (`input`) or responses (`output`) see it. */
export function jsonSchema(schema: Schema, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  });
  return rest as JsonSchema;
}

/** The parameters of a strict zod object (query or path), one OpenAPI parameter per property. */
function parameters(schema: ObjectSchema | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as { description?: string };
    return {
      name,
      in: where,
      required: where === 'path' || (object.required ?? []).includes(name),
      ...(description && { description }),
      schema: rest,
    };
  });
}

const ERROR_STATUSES: Readonly<Record<number, string>> = {
  400: 'invalid input; `details` lists each field at fault',
  401: 'missing, malformed or expired bearer token (or link token)',
  403: 'authenticated but not allowed (audited)',
  404: 'no such resource',
  409: 'conflicts with the resource state (or the idempotency key was used with another body)',
  413: 'request body larger than the limit',
  429: 'per-user export window exhausted; see Retry-After',
  503: 'a dependency is unavailable; retry after Retry-After',
};

/** The error responses a route can produce, from its declared properties. */
function errorStatuses(route: RouteSpec): number[] {
  const statuses = [400];
  if (route.auth !== 'none') statuses.push(401);
  if (route.access !== 'any' && route.access !== 'public') statuses.push(403);
  if (route.pathParams || route.operationId === 'exportUser') statuses.push(404);
  if (['exportBulk', 'cancelJob', 'listJobFiles', 'downloadJob', 'runSchedule'].includes(route.operationId))
    statuses.push(409);
  if (route.body) statuses.push(413);
  if (route.rateLimited) statuses.push(429);
  if (route.auth !== 'none') statuses.push(503);
  return statuses;
}

function operation(route: RouteSpec): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const content: Record<string, JsonSchema> = {};
    if (response.schema) content['application/json'] = { schema: jsonSchema(response.schema, 'output') };
    for (const type of response.contentTypes ?? [])
      content[type] = { schema: { type: 'string', format: 'binary' } };
    responses[status] = {
      description: response.description,
      ...(Object.keys(content).length > 0 && { content }),
      ...(response.headers && {
        headers: Object.fromEntries(
          Object.entries(response.headers).map(([name, description]) => [
            name,
            { description, schema: { type: 'string' } },
          ]),
        ),
      }),
      ...(status === '302' && { headers: { Location: { schema: { type: 'string', format: 'uri' } } } }),
    };
  }
  for (const status of errorStatuses(route))
    responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
  responses['500'] = { $ref: '#/components/responses/Error500' };

  const headerParams = (route.headers ?? []).map((h) => ({
    name: h.name,
    in: 'header',
    required: false,
    description: h.description,
    schema: jsonSchema(h.schema, 'input'),
  }));
  let requestBody: JsonSchema | undefined;
  if (route.body) {
    const optional = z.safeParse(route.body, undefined).success;
    const body = route.body instanceof z.ZodMiniOptional ? (route.body.def.innerType as Schema) : route.body;
    requestBody = {
      required: !optional,
      content: { 'application/json': { schema: jsonSchema(body, 'input') } },
    };
  }
  const security =
    route.auth === 'none'
      ? []
      : route.auth === 'bearer-or-link'
        ? [{ bearerAuth: [], apiKey: [] }, { bearerAuth: [] }, { linkToken: [] }]
        : [{ bearerAuth: [], apiKey: [] }];
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: [
      `Access: ${route.access}.`,
      route.rateLimited
        ? 'Counts against the per-user export window (429 with Retry-After when exhausted).'
        : '',
    ]
      .filter(Boolean)
      .join(' '),
    parameters: [
      ...parameters(route.pathParams, 'path'),
      ...parameters(route.query, 'query'),
      ...headerParams,
    ],
    ...(requestBody && { requestBody }),
    responses,
    security,
  };
}

/** The OpenAPI 3.1 document of the whole API, generated from the routes' zod schemas. */
export function buildOpenApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of Object.values(API_ROUTES) as RouteSpec[]) {
    paths[route.path] ??= {};
    paths[route.path]![route.method] = operation(route);
  }
  const errorResponse = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Data Export Service',
      version: '1.0.0',
      description:
        'User (GDPR), bulk and scheduled exports of the learning platform database. Every error is ' +
        '`{"error": {"code", "message", "details"?}}`. Requests that create exports (user, bulk, schedule runs) ' +
        'share a per-user window (default 5 per 15 minutes).',
    },
    servers: [{ url: API_BASE_PATH }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        linkToken: { type: 'apiKey', in: 'query', name: 'token' },
      },
      schemas: { Error: jsonSchema(ErrorResponse, 'output') },
      responses: {
        ...Object.fromEntries(
          Object.entries(ERROR_STATUSES).map(([status, d]) => [`Error${status}`, errorResponse(d)]),
        ),
        Error500: errorResponse('unexpected error (`internal_error`); details are in the service log'),
      },
    },
  };
}

let cached: string | undefined;
/** The document serialised once per process. */
export function openApiJson(): string {
  cached ??= JSON.stringify(buildOpenApiDocument());
  return cached;
}
