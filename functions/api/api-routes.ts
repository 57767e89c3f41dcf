import * as z from 'zod/mini';
import type { Schema } from '../domain/validation.js';
import { API_TABLES, type HandlerNeeds, NOTHING } from '../wiring/handler-needs.js';
import {
  BulkExportBody,
  CatalogueResponse,
  DownloadLink,
  DownloadQuery,
  IdempotencyKey,
  JobAccepted,
  JobFilesResponse,
  JobList,
  JobPath,
  JobViewSchema,
  LimitsResponse,
  ListJobsQuery,
  MetricsQuery,
  MetricsResponse,
  NoParams,
  ScheduleRunBody,
  ScheduleRunPath,
  SchedulesResponse,
  UserExportJson,
  UserExportPath,
  UserExportQuery,
} from './api-schemas.js';
import {
  DeliveriesQuery,
  DeliveryList,
  RegisterWebhookBody,
  TestEventAccepted,
  WebhookCreated,
  WebhookList,
  WebhookPath,
} from './webhook-schemas.js';

/**
 * The HTTP API, declared once (docs/api.md): every route's method, path, handler, who may call it,
 * its parameters, body and responses, and its Lambda's needs. The handlers validate with these
 * schemas, `openapi.ts` documents them, `lib/export-api.ts` deploys them and the local gateway
 * serves them; tests check that each reader agrees with this table.
 */

export { API_BASE_PATH } from '../domain/access/api-paths.js';

/**
 * Media types API Gateway may turn a base64 proxy body into bytes for (and the local gateway
 * base64-encodes request bodies of): all of them, since browsers and curl send `Accept: *\/*`.
 */
export const BINARY_MEDIA_TYPES: readonly string[] = ['*/*'];

/** A strict object schema of query or path parameters. */
export type ObjectSchema = z.ZodMiniObject;

export type Access = 'any' | 'self-or-admin' | 'owner-or-admin' | 'admin' | 'public';

export interface HeaderSpec {
  readonly name: string;
  readonly schema: Schema;
  readonly description: string;
}

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: Schema;
  /** Content types other than JSON (file downloads). */
  readonly contentTypes?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteSpec {
  readonly operationId: string;
  readonly method: 'get' | 'post' | 'delete';
  /** Path under {@link API_BASE_PATH}. */
  readonly path: string;
  /** Handler file under `functions/handlers/`. */
  readonly handler: string;
  readonly summary: string;
  readonly access: Access;
  /** Bearer token required (through the authorizer); the download route also takes a link token. */
  readonly auth: 'bearer' | 'bearer-or-link' | 'none';
  /** Counted against the per-user export window. */
  readonly rateLimited: boolean;
  /**
   * What the route's function needs (its database login, objects, secrets, queues): what the
   * stack grants it and nothing more. A function with a login runs in the database's network.
   */
  readonly needs: HandlerNeeds;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default API Gateway's integration limit, 29 */
  readonly timeoutSeconds?: number;
  readonly pathParams?: ObjectSchema;
  readonly query: ObjectSchema;
  readonly headers?: readonly HeaderSpec[];
  readonly body?: Schema;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

const job = { description: 'the job', schema: JobViewSchema };
const accepted = { description: 'the export job was queued', schema: JobAccepted };

/** Every route of the API, in documentation order. */
export const API_ROUTES = {
  userExport: {
    operationId: 'exportUser',
    method: 'get',
    path: '/user/{userId}',
    handler: 'user-export.ts',
    summary: "Export a user's data (inline when small, else a queued job)",
    access: 'self-or-admin',
    auth: 'bearer',
    rateLimited: true,
    needs: { ...API_TABLES, send: true },
    memorySize: 1024,
    pathParams: UserExportPath,
    query: UserExportQuery,
    headers: [
      {
        name: 'Prefer',
        schema: z.string().check(z.maxLength(200)),
        description: '`respond-async` always answers 202 with a job',
      },
    ],
    responses: {
      200: {
        description:
          'the export: JSON `{profile, transactions, courses, activity, exportedAt}`, one XML document, or a zip of one CSV/NDJSON file per section',
        schema: UserExportJson,
        contentTypes: ['application/xml', 'application/zip'],
        headers: { 'Content-Disposition': 'attachment; filename="user-<id>-export.<ext>"' },
      },
      202: accepted,
    },
  },
  bulkExport: {
    operationId: 'exportBulk',
    method: 'post',
    path: '/bulk',
    handler: 'bulk-export.ts',
    summary: 'Queue a bulk export of catalogue tables',
    access: 'admin',
    auth: 'bearer',
    rateLimited: true,
    needs: { ...API_TABLES, send: true },
    query: NoParams,
    headers: [
      {
        name: 'Idempotency-Key',
        schema: IdempotencyKey,
        description: 'the same key and body return the same job; the same key with another body is a 409',
      },
    ],
    body: BulkExportBody,
    responses: { 202: accepted },
  },
  listJobs: {
    operationId: 'listJobs',
    method: 'get',
    path: '/jobs',
    handler: 'list-jobs.ts',
    summary: "The caller's jobs (admins: all jobs), newest first",
    access: 'any',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    query: ListJobsQuery,
    responses: { 200: { description: 'one page of jobs', schema: JobList } },
  },
  getJob: {
    operationId: 'getJob',
    method: 'get',
    path: '/jobs/{jobId}',
    handler: 'get-job.ts',
    summary: 'Status, progress, timings, error and download link of a job',
    access: 'owner-or-admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    pathParams: JobPath,
    query: NoParams,
    responses: { 200: job },
  },
  cancelJob: {
    operationId: 'cancelJob',
    method: 'delete',
    path: '/jobs/{jobId}',
    handler: 'cancel-job.ts',
    summary: 'Cancel a queued job, or ask a running one to stop',
    access: 'owner-or-admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    pathParams: JobPath,
    query: NoParams,
    responses: {
      200: { description: 'the queued job was cancelled', schema: JobViewSchema },
      202: { description: 'the running job will stop within seconds', schema: JobViewSchema },
    },
  },
  listJobFiles: {
    operationId: 'listJobFiles',
    method: 'get',
    path: '/jobs/{jobId}/files',
    handler: 'list-job-files.ts',
    summary: "A completed job's files with their download links, and its manifest's",
    access: 'owner-or-admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    pathParams: JobPath,
    query: NoParams,
    responses: { 200: { description: 'the files', schema: JobFilesResponse } },
  },
  downloadJob: {
    operationId: 'downloadJob',
    method: 'get',
    path: '/jobs/{jobId}/download',
    handler: 'download-job.ts',
    summary: "Redirect to a freshly presigned URL of a completed job's file (or one of its files)",
    access: 'owner-or-admin',
    auth: 'bearer-or-link',
    rateLimited: false,
    needs: { ...API_TABLES, objects: 'read', linkSecret: true },
    pathParams: JobPath,
    query: DownloadQuery,
    responses: {
      200: {
        description:
          'with `Accept: application/json`: the presigned URL as JSON (a browser script cannot read a cross-origin redirect)',
        schema: DownloadLink,
      },
      302: { description: 'Location: a presigned URL valid for a few minutes' },
    },
  },
  listSchedules: {
    operationId: 'listSchedules',
    method: 'get',
    path: '/schedules',
    handler: 'list-schedules.ts',
    summary: 'The scheduled export catalogue with next run times',
    access: 'admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    query: NoParams,
    responses: { 200: { description: 'the catalogue', schema: SchedulesResponse } },
  },
  runSchedule: {
    operationId: 'runSchedule',
    method: 'post',
    path: '/schedules/{name}/run',
    handler: 'run-schedule.ts',
    summary: 'Run a scheduled export now or backfill a date',
    access: 'admin',
    auth: 'bearer',
    rateLimited: true,
    needs: { ...API_TABLES, send: true },
    pathParams: ScheduleRunPath,
    query: NoParams,
    body: ScheduleRunBody,
    responses: { 202: accepted },
  },
  getMetrics: {
    operationId: 'getMetrics',
    method: 'get',
    path: '/metrics',
    handler: 'get-metrics.ts',
    summary: 'Job totals, outcomes, durations, rows and bytes, by kind and format',
    access: 'admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    query: MetricsQuery,
    responses: { 200: { description: 'the metrics', schema: MetricsResponse } },
  },
  getLimits: {
    operationId: 'getLimits',
    method: 'get',
    path: '/limits',
    handler: 'get-limits.ts',
    summary: "The caller's remaining export requests and when the window resets",
    access: 'any',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    query: NoParams,
    responses: { 200: { description: 'the window', schema: LimitsResponse } },
  },
  getCatalogue: {
    operationId: 'getCatalogue',
    method: 'get',
    path: '/catalogue',
    handler: 'get-catalogue.ts',
    summary: 'The export catalogue: the tables and columns exports may contain, and each date column',
    access: 'any',
    auth: 'bearer',
    rateLimited: false,
    needs: NOTHING,
    query: NoParams,
    responses: { 200: { description: 'the catalogue', schema: CatalogueResponse } },
  },
  openapi: {
    operationId: 'getOpenApi',
    method: 'get',
    path: '/openapi.json',
    handler: 'openapi.ts',
    summary: 'This OpenAPI 3.1 document',
    access: 'public',
    auth: 'none',
    rateLimited: false,
    needs: NOTHING,
    query: NoParams,
    responses: { 200: { description: 'the document' } },
  },
  registerWebhook: {
    operationId: 'registerWebhook',
    method: 'post',
    path: '/webhooks',
    handler: 'register-webhook.ts',
    summary: 'Register a webhook endpoint; its signing secret is shown once',
    access: 'admin',
    auth: 'bearer',
    rateLimited: false,
    needs: { ...API_TABLES, webhookKey: true },
    query: NoParams,
    body: RegisterWebhookBody,
    responses: { 201: { description: 'the webhook and its `whsec_…` secret', schema: WebhookCreated } },
  },
  listWebhooks: {
    operationId: 'listWebhooks',
    method: 'get',
    path: '/webhooks',
    handler: 'list-webhooks.ts',
    summary: 'The registered webhooks (no secrets)',
    access: 'admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    query: NoParams,
    responses: { 200: { description: 'the webhooks, newest first', schema: WebhookList } },
  },
  deleteWebhook: {
    operationId: 'deleteWebhook',
    method: 'delete',
    path: '/webhooks/{webhookId}',
    handler: 'delete-webhook.ts',
    summary: 'Remove a webhook and its delivery log',
    access: 'admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    pathParams: WebhookPath,
    query: NoParams,
    responses: { 204: { description: 'removed' } },
  },
  listWebhookDeliveries: {
    operationId: 'listWebhookDeliveries',
    method: 'get',
    path: '/webhooks/{webhookId}/deliveries',
    handler: 'list-webhook-deliveries.ts',
    summary: "A webhook's delivery log: each delivery's status, attempts and responses",
    access: 'admin',
    auth: 'bearer',
    rateLimited: false,
    needs: API_TABLES,
    pathParams: WebhookPath,
    query: DeliveriesQuery,
    responses: { 200: { description: 'the newest deliveries', schema: DeliveryList } },
  },
  testWebhook: {
    operationId: 'testWebhook',
    method: 'post',
    path: '/webhooks/{webhookId}/test',
    handler: 'test-webhook.ts',
    summary: 'Send a signed `webhook.test` event to this endpoint',
    access: 'admin',
    auth: 'bearer',
    rateLimited: false,
    needs: { ...API_TABLES, webhookQueue: true },
    pathParams: WebhookPath,
    query: NoParams,
    responses: { 202: { description: 'the test delivery was queued', schema: TestEventAccepted } },
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof API_ROUTES;

/** The names of a route's query parameters, as its schema declares them. */
export function queryParameterNames(route: RouteSpec): string[] {
  return Object.keys(route.query.def.shape);
}
