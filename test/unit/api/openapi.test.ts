import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { API_ROUTES, type RouteName, type RouteSpec } from '../../../functions/api/api-routes.js';
import { buildOpenApiDocument } from '../../../functions/api/openapi.js';
import { createHandler as bulkExport } from '../../../functions/handlers/bulk-export.js';
import { createHandler as cancelJob } from '../../../functions/handlers/cancel-job.js';
import { createHandler as deleteWebhook } from '../../../functions/handlers/delete-webhook.js';
import { createHandler as downloadJob } from '../../../functions/handlers/download-job.js';
import { handler as getCatalogue } from '../../../functions/handlers/get-catalogue.js';
import { createHandler as getJob } from '../../../functions/handlers/get-job.js';
import { createHandler as getLimits } from '../../../functions/handlers/get-limits.js';
import { createHandler as getMetrics } from '../../../functions/handlers/get-metrics.js';
import { createHandler as listJobFiles } from '../../../functions/handlers/list-job-files.js';
import { createHandler as listJobs } from '../../../functions/handlers/list-jobs.js';
import { createHandler as listSchedules } from '../../../functions/handlers/list-schedules.js';
import { createHandler as listWebhookDeliveries } from '../../../functions/handlers/list-webhook-deliveries.js';
import { createHandler as listWebhooks } from '../../../functions/handlers/list-webhooks.js';
import { handler as openapi } from '../../../functions/handlers/openapi.js';
import { createHandler as registerWebhook } from '../../../functions/handlers/register-webhook.js';
import { createHandler as runSchedule } from '../../../functions/handlers/run-schedule.js';
import { createHandler as testWebhook } from '../../../functions/handlers/test-webhook.js';
import { createHandler as userExport } from '../../../functions/handlers/user-export.js';
import type { ApiDeps } from '../../../functions/wiring/api-deps.js';
import {
  type ApiHandler,
  apiEvent,
  authorizerContext,
  bearerToken,
  bodyOf,
  invoke,
} from '../../support/api-events.js';
import { fakeApiDeps } from '../../support/api-fakes.js';

type Handler = ApiHandler;
const deps = () => Promise.resolve(fakeApiDeps() as ApiDeps);
const HANDLERS: Record<RouteName, Handler> = {
  userExport: userExport(deps),
  bulkExport: bulkExport(deps),
  listJobs: listJobs(deps),
  getJob: getJob(deps),
  cancelJob: cancelJob(deps),
  listJobFiles: listJobFiles(deps),
  downloadJob: downloadJob(deps),
  listSchedules: listSchedules(deps),
  runSchedule: runSchedule(deps),
  getMetrics: getMetrics(deps),
  getLimits: getLimits(deps),
  getCatalogue: getCatalogue as unknown as Handler,
  registerWebhook: registerWebhook(deps),
  listWebhooks: listWebhooks(deps),
  deleteWebhook: deleteWebhook(deps),
  listWebhookDeliveries: listWebhookDeliveries(deps),
  testWebhook: testWebhook(deps),
  openapi: openapi as unknown as Handler,
};

interface Operation {
  operationId: string;
  parameters: {
    name: string;
    in: string;
    required: boolean;
    schema: { enum?: string[]; pattern?: string };
  }[];
  requestBody?: {
    required: boolean;
    content: { 'application/json': { schema: { properties: Record<string, unknown>; required?: string[] } } };
  };
  responses: Record<string, unknown>;
}

const doc = buildOpenApiDocument() as {
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
};
const ADMIN = randomUUID();
let adminToken: string;
beforeAll(async () => {
  adminToken = await bearerToken(ADMIN, { admin: true });
});

const validPath = (name: string) => (name === 'name' ? 'daily_transactions' : randomUUID());

/** A request to `route` as an admin, with valid path parameters unless overridden. */
function request(
  route: RouteSpec,
  init: { query?: Record<string, string>; path?: Record<string, string>; body?: unknown },
) {
  const pathParameters = Object.fromEntries(
    Object.keys(route.pathParams?.shape ?? {}).map((k) => [k, validPath(k)]),
  );
  return apiEvent({
    method: route.method.toUpperCase(),
    pathParameters: { ...pathParameters, ...init.path },
    ...(init.query && { query: init.query }),
    ...(init.body !== undefined && { body: init.body }),
    authorizer: authorizerContext(ADMIN, { admin: true }),
    headers: { Authorization: `Bearer ${adminToken}` },
  });
}

const fieldsOf = (response: APIGatewayProxyResult) =>
  (bodyOf<{ error: { details?: { field: string }[] } }>(response).error.details ?? []).map((d) => d.field);

describe.each(Object.entries(API_ROUTES) as [RouteName, RouteSpec][])('route %s', (name, route) => {
  const operation = doc.paths[route.path]?.[route.method] as Operation;

  it('is documented under its path and method, with a handler file', () => {
    expect(operation?.operationId).toBe(route.operationId);
    expect(existsSync(new URL(`../../../functions/handlers/${route.handler}`, import.meta.url))).toBe(true);
  });

  it('documents exactly the path and query parameters the handler validates', () => {
    const documented = (where: string) =>
      operation.parameters
        .filter((p) => p.in === where)
        .map((p) => p.name)
        .sort();

    expect(documented('path')).toEqual(Object.keys(route.pathParams?.shape ?? {}).sort());
    expect(documented('query')).toEqual(Object.keys(route.query.shape).sort());
  });

  it('rejects a query parameter the document does not list, naming it', async () => {
    const response = await invoke(HANDLERS[name], request(route, { query: { notDocumented: '1' } }));

    expect(response.statusCode).toBe(400);
    expect(fieldsOf(response)).toContain('notDocumented');
  });

  it('rejects values outside each documented enum or pattern, naming the parameter', async () => {
    for (const parameter of operation.parameters.filter((p) => p.in !== 'header')) {
      if (!parameter.schema.enum && !parameter.schema.pattern) continue;
      const bad = { [parameter.name]: 'not a valid value!' };
      const event = parameter.in === 'path' ? request(route, { path: bad }) : request(route, { query: bad });

      const response = await invoke(HANDLERS[name], event);

      expect(response.statusCode, parameter.name).toBe(400);
      expect(fieldsOf(response)).toContain(parameter.name);
    }
  });

  // Routes without a body have nothing to check here: they get no test rather than a skipped one.
  if (route.body !== undefined) {
    it('rejects body fields the document does not list, and honours required ones', async () => {
      const schema = operation.requestBody!.content['application/json'].schema;

      const extra = await invoke(HANDLERS[name], request(route, { body: { notDocumented: true } }));

      expect(extra.statusCode).toBe(400);
      expect(fieldsOf(extra)).toContain('notDocumented');
      for (const field of schema.required ?? []) {
        const missing = await invoke(HANDLERS[name], request(route, { body: {} }));
        expect(fieldsOf(missing), field).toContain(field);
      }
      expect(operation.requestBody!.required).toBe(!z.safeParse(route.body!, undefined).success);
    });
  }
});

describe('the document', () => {
  it('is OpenAPI 3.1 with every $ref resolvable', () => {
    expect(doc).toMatchObject({ openapi: '3.1.0', servers: [{ url: '/api/export' }] });
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\//);
      const path = ref.replace(/^#\//, '').split('/');
      let node: unknown = doc;
      for (const part of path) node = (node as Record<string, unknown>)[part];
      expect(node, ref).toBeDefined();
    }
  });

  it('offers parquet to bulk exports, and not to user exports', () => {
    const bulk = doc.paths['/bulk']!.post!.requestBody!.content['application/json'].schema;
    const user = doc.paths['/user/{userId}']!.get!.parameters.find((p) => p.name === 'format');

    expect((bulk.properties.format as { enum: string[] }).enum).toContain('parquet');
    expect(user?.schema.enum).toEqual(['json', 'ndjson', 'csv', 'xml']);
  });

  it('documents 429 exactly on the rate-limited routes', () => {
    for (const route of Object.values(API_ROUTES) as RouteSpec[]) {
      expect('429' in doc.paths[route.path]![route.method]!.responses, route.operationId).toBe(
        route.rateLimited,
      );
    }
  });
});
