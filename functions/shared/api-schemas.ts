import { z } from 'zod';
import { USER_EXPORT_FORMATS } from '../domain/export-format.js';
import { JOB_KINDS, JOB_STATUSES } from '../domain/export-job.js';
import { MAX_PAGE_SIZE } from '../domain/export-jobs.js';
import { BulkExportRequestSchema, DATE_BOUND_RULE, parseDateBound } from '../domain/export-request.js';
import { UuidSchema } from '../domain/validation.js';

/**
 * The request and response schemas of every route (DESIGN §6). Handlers validate with exactly
 * these objects and `openapi.ts` documents exactly these objects, so the two cannot drift.
 */

const Id = UuidSchema;
const NoParams = z.strictObject({});

const BooleanParam = z.enum(['true', 'false']).transform((v) => v === 'true');

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date `YYYY-MM-DD`. */
const CalendarDate = z
  .string()
  .regex(DATE, 'must be a date YYYY-MM-DD')
  .refine((v) => parseDateBound(v) !== undefined, DATE_BOUND_RULE);

export const UserExportPath = z.strictObject({ userId: Id });
export const UserExportQuery = z.strictObject({
  format: z
    .enum(USER_EXPORT_FORMATS, {
      error: `must be one of ${USER_EXPORT_FORMATS.join(', ')} (parquet is for bulk and scheduled exports)`,
    })
    .default('json'),
  formulaGuard: BooleanParam.optional().describe(
    "CSV only: prefix formula-like cells with `'` (default true)",
  ),
});

export const IdempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 printable ASCII characters without spaces');

export const BulkExportBody = BulkExportRequestSchema;

export const JobPath = z.strictObject({ jobId: Id });

export const ListJobsQuery = z.strictObject({
  status: z.enum(JOB_STATUSES).optional(),
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_PAGE_SIZE))
    .optional()
    .describe(`page size, 1–${MAX_PAGE_SIZE} (default 20)`),
  cursor: z.string().max(200).optional().describe('`nextCursor` of the previous page'),
});

export const DownloadQuery = z.strictObject({
  token: z.string().min(1).max(4096).optional().describe('signed link token from the completion email'),
});

export const MetricsQuery = z.strictObject({
  since: z
    .string()
    .max(40)
    .refine((v) => parseDateBound(v) !== undefined, DATE_BOUND_RULE)
    .optional()
    .describe('ISO 8601 date or date-time; default: 24 hours ago'),
});

export const ScheduleRunPath = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9_]{2,63}$/, 'must be a schedule name'),
});
export const ScheduleRunBody = z
  .strictObject({
    date: CalendarDate.optional().describe('UTC run date to run or backfill; default today'),
    force: z.boolean().optional().describe('rerun a date whose run already completed, replacing its object'),
  })
  .optional();

// ---------------------------------------------------------------------------------------------
// Responses (documentation, and checked against real responses in the integration tests)

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export const JobAccepted = z.object({ jobId: Id, status: z.enum(JOB_STATUSES) });

export const JobViewSchema = z.object({
  jobId: Id,
  kind: z.enum(JOB_KINDS),
  status: z.enum(JOB_STATUSES),
  format: z.string(),
  compression: z.string(),
  tables: z.array(z.string()),
  requestedBy: z.string().nullable().describe("the owner; null for the scheduler's own runs (admins only)"),
  cancelRequested: z.boolean(),
  progress: z.object({
    rowsExported: z.number(),
    bytesWritten: z.number(),
    tablesDone: z.number(),
    tablesTotal: z.number(),
    percent: z.number(),
    rowsTotal: z.number().optional(),
    etaSeconds: z.number().optional(),
  }),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  updatedAt: z.string(),
  durationMs: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
  result: z
    .object({
      fileName: z.string(),
      contentType: z.string(),
      bytes: z.number(),
      sha256: z.string(),
      rows: z.number(),
      tables: z.array(z.object({ name: z.string(), rows: z.number() })),
    })
    .nullable(),
  downloadUrl: z.string().optional(),
  scheduleName: z.string().optional(),
  scheduledFor: z.string().optional(),
});

export const JobList = z.object({ jobs: z.array(JobViewSchema), nextCursor: z.string().nullable() });

export const LimitsResponse = z.object({
  limit: z.number(),
  remaining: z.number(),
  windowSeconds: z.number(),
  resetAt: z.string(),
  nextAvailableAt: z.string(),
});

const MetricsBucket = z.object({
  total: z.number(),
  succeeded: z.number(),
  failed: z.number(),
  cancelled: z.number(),
  queued: z.number(),
  processing: z.number(),
  durationMs: z.object({
    avg: z.number().nullable(),
    p50: z.number().nullable(),
    p95: z.number().nullable(),
  }),
  rows: z.number(),
  bytes: z.number(),
});
export const MetricsResponse = MetricsBucket.extend({
  since: z.string(),
  byKind: z.record(z.string(), MetricsBucket),
  byFormat: z.record(z.string(), MetricsBucket),
});

export const SchedulesResponse = z.object({
  schedules: z.array(
    z.object({
      name: z.string(),
      description: z.string(),
      cron: z.string(),
      eventBridgeExpression: z.string(),
      format: z.string(),
      compression: z.string(),
      destination: z.string(),
      lookbackDays: z.number(),
      nextRuns: z.array(z.string()),
    }),
  ),
});

export const CatalogueResponse = z.object({
  tables: z.array(
    z.object({
      name: z.string(),
      dateColumn: z.string().describe('the column `filters.<table>.dateFrom` and `dateTo` apply to'),
      columns: z.array(z.object({ name: z.string(), type: z.string() })),
    }),
  ),
});

/** `GET /jobs/{jobId}/download` with `Accept: application/json`: the presigned URL, for clients that cannot read a redirect. */
export const DownloadLink = z.object({
  url: z.string().describe('presigned URL of the file, valid for a few minutes'),
  expiresAt: z.string(),
});

export const UserExportJson = z.object({
  profile: z.record(z.string(), z.unknown()).nullable(),
  transactions: z.array(z.record(z.string(), z.unknown())),
  courses: z.array(z.record(z.string(), z.unknown())),
  activity: z.array(z.record(z.string(), z.unknown())),
  exportedAt: z.string(),
});

// ---------------------------------------------------------------------------------------------
// Route table

export type Access = 'any' | 'self-or-admin' | 'owner-or-admin' | 'admin' | 'public';

export interface HeaderSpec {
  readonly name: string;
  readonly schema: z.ZodType;
  readonly description: string;
}

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: z.ZodType;
  /** Content types other than JSON (file downloads). */
  readonly contentTypes?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteSpec {
  readonly operationId: string;
  readonly method: 'get' | 'post' | 'delete';
  /** Path under the API's base path `/api/export`. */
  readonly path: string;
  /** Handler file under `functions/handlers/`. */
  readonly handler: string;
  readonly summary: string;
  readonly access: Access;
  /** Bearer token required (through the authorizer); the download route also takes a link token. */
  readonly auth: 'bearer' | 'bearer-or-link' | 'none';
  /** Counted against the per-user export window. */
  readonly rateLimited: boolean;
  readonly pathParams?: z.ZodObject;
  readonly query: z.ZodObject;
  readonly headers?: readonly HeaderSpec[];
  readonly body?: z.ZodType;
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
    pathParams: UserExportPath,
    query: UserExportQuery,
    headers: [
      {
        name: 'Prefer',
        schema: z.string().max(200),
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
    pathParams: JobPath,
    query: NoParams,
    responses: {
      200: { description: 'the queued job was cancelled', schema: JobViewSchema },
      202: { description: 'the running job will stop within seconds', schema: JobViewSchema },
    },
  },
  downloadJob: {
    operationId: 'downloadJob',
    method: 'get',
    path: '/jobs/{jobId}/download',
    handler: 'download-job.ts',
    summary: "Redirect to a freshly presigned URL of a completed job's file",
    access: 'owner-or-admin',
    auth: 'bearer-or-link',
    rateLimited: false,
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
    query: NoParams,
    responses: { 200: { description: 'the document' } },
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof API_ROUTES;
