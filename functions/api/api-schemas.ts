import * as z from 'zod/mini';
import { DATE_BOUND_RULE, parseDateBound } from '../domain/catalogue/date-bounds.js';
import { FILE_NAME_MAX_LENGTH, FILE_NAME_PATTERN } from '../domain/downloads/job-files.js';
import { USER_EXPORT_FORMATS } from '../domain/engine/export-format.js';
import { BulkExportRequestSchema } from '../domain/jobs/bulk-request.js';
import { JOB_KINDS, JOB_STATUSES } from '../domain/jobs/export-job.js';
import { MAX_PAGE_SIZE } from '../domain/jobs/export-jobs.js';
import { UuidSchema } from '../domain/validation.js';

/**
 * The request and response schemas of every route (docs/api.md). Handlers validate with exactly
 * these objects and `openapi.ts` documents exactly these objects, so the two cannot drift.
 */

const Id = UuidSchema;
export const NoParams = z.strictObject({});

const BooleanParam = z.pipe(
  z.enum(['true', 'false']),
  z.transform((v) => v === 'true'),
);

const DATE = /^\d{4}-\d{2}-\d{2}$/;
/** A real calendar date `YYYY-MM-DD`. */
const CalendarDate = z.string().check(
  z.regex(DATE, 'must be a date YYYY-MM-DD'),
  z.refine((v) => parseDateBound(v) !== undefined, DATE_BOUND_RULE),
);

export const UserExportPath = z.strictObject({ userId: Id });
export const UserExportQuery = z.strictObject({
  format: z._default(
    z.enum(USER_EXPORT_FORMATS, {
      error: `must be one of ${USER_EXPORT_FORMATS.join(', ')} (parquet is for bulk and scheduled exports)`,
    }),
    'json',
  ),
  formulaGuard: z
    .optional(BooleanParam)
    .check(z.describe("CSV only: prefix formula-like cells with `'` (default true)")),
});

export const IdempotencyKey = z
  .string()
  .check(z.regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 printable ASCII characters without spaces'));

export const BulkExportBody = BulkExportRequestSchema;

export const JobPath = z.strictObject({ jobId: Id });

export const ListJobsQuery = z.strictObject({
  status: z.optional(z.enum(JOB_STATUSES)),
  limit: z
    .optional(
      z.pipe(
        z.string().check(z.regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)),
        z.pipe(z.transform(Number), z.int().check(z.gte(1), z.lte(MAX_PAGE_SIZE))),
      ),
    )
    .check(z.describe(`page size, 1–${MAX_PAGE_SIZE} (default 20)`)),
  cursor: z
    .optional(z.string().check(z.maxLength(200)))
    .check(z.describe('`nextCursor` of the previous page')),
});

export const DownloadQuery = z.strictObject({
  token: z
    .optional(z.string().check(z.minLength(1), z.maxLength(4096)))
    .check(z.describe('signed link token from the completion email')),
  file: z
    .optional(
      z
        .string()
        .check(
          z.maxLength(FILE_NAME_MAX_LENGTH),
          z.regex(FILE_NAME_PATTERN, 'must be a file name as `GET /jobs/{jobId}/files` lists it'),
        ),
    )
    .check(
      z.describe(
        'one file of the job, by its `name` in `GET /jobs/{jobId}/files` (`manifest.json` for the manifest); default: the only file, or the manifest when there are several',
      ),
    ),
});

export const MetricsQuery = z.strictObject({
  since: z
    .optional(
      z.string().check(
        z.maxLength(40),
        z.refine((v) => parseDateBound(v) !== undefined, DATE_BOUND_RULE),
      ),
    )
    .check(z.describe('ISO 8601 date or date-time; default: 24 hours ago')),
});

export const ScheduleRunPath = z.strictObject({
  name: z.string().check(z.regex(/^[a-z][a-z0-9_]{2,63}$/, 'must be a schedule name')),
});
export const ScheduleRunBody = z.optional(
  z.strictObject({
    date: z.optional(CalendarDate).check(z.describe('UTC run date to run or backfill; default today')),
    force: z
      .optional(z.boolean())
      .check(z.describe('rerun a date whose run already completed, replacing its object')),
  }),
);

// ---------------------------------------------------------------------------------------------
// Responses (documentation, and checked against real responses in the integration tests)

export const ErrorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.optional(z.unknown()),
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
  requestedBy: z
    .nullable(z.string())
    .check(z.describe("the owner; null for the scheduler's own runs (admins only)")),
  cancelRequested: z.boolean(),
  progress: z.object({
    rowsExported: z.number(),
    bytesWritten: z.number(),
    tablesDone: z.number(),
    tablesTotal: z.number(),
    percent: z.number(),
    rowsTotal: z.optional(z.number()),
    etaSeconds: z.optional(z.number()),
    chunksDone: z.optional(z.number()).check(z.describe('chunks finished, for a job split into chunks')),
    chunksTotal: z.optional(z.number()).check(z.describe('chunks planned, for a job split into chunks')),
  }),
  createdAt: z.string(),
  startedAt: z.nullable(z.string()),
  completedAt: z.nullable(z.string()),
  updatedAt: z.string(),
  durationMs: z.nullable(z.number()),
  error: z.nullable(z.object({ code: z.string(), message: z.string(), retryable: z.boolean() })),
  result: z.nullable(
    z.object({
      fileName: z.string(),
      contentType: z.string(),
      bytes: z.number(),
      sha256: z.string(),
      rows: z.number(),
      tables: z.array(z.object({ name: z.string(), rows: z.number() })),
      fileCount: z
        .optional(z.number())
        .check(
          z.describe(
            'files of a job split into chunks (`GET /jobs/{jobId}/files` lists them); `fileName` is then its manifest',
          ),
        ),
    }),
  ),
  downloadUrl: z.optional(z.string()),
  scheduleName: z.optional(z.string()),
  scheduledFor: z.optional(z.string()),
});

export const JobList = z.object({ jobs: z.array(JobViewSchema), nextCursor: z.nullable(z.string()) });

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
    avg: z.nullable(z.number()),
    p50: z.nullable(z.number()),
    p95: z.nullable(z.number()),
  }),
  rows: z.number(),
  bytes: z.number(),
});
export const MetricsResponse = z.extend(MetricsBucket, {
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
      dateColumn: z.string().check(z.describe('the column `filters.<table>.dateFrom` and `dateTo` apply to')),
      columns: z.array(z.object({ name: z.string(), type: z.string() })),
    }),
  ),
});

/** `GET /jobs/{jobId}/download` with `Accept: application/json`: the presigned URL, for clients that cannot read a redirect. */
export const DownloadLink = z.object({
  url: z.string().check(z.describe('presigned URL of the file, valid for a few minutes')),
  expiresAt: z.string(),
});

const JobFileSchema = z.object({
  name: z.string().check(z.describe("the key relative to the job's folder (`users/part-00001.csv.gz`)")),
  table: z.nullable(z.string()).check(z.describe('null for one file holding several tables')),
  rows: z.number(),
  bytes: z.number(),
  sha256: z.string(),
  contentType: z.string(),
  downloadUrl: z
    .string()
    .check(z.describe('the download route with `file=`: a presigned URL is minted when it is followed')),
});

/** `GET /jobs/{jobId}/files`. */
export const JobFilesResponse = z.object({
  jobId: Id,
  files: z.array(JobFileSchema),
  manifestUrl: z
    .nullable(z.string())
    .check(z.describe("the download route of a chunked job's manifest.json; null for a job of one file")),
  totals: z.object({ files: z.number(), rows: z.number(), bytes: z.number() }),
});

export const UserExportJson = z.object({
  profile: z.nullable(z.record(z.string(), z.unknown())),
  transactions: z.array(z.record(z.string(), z.unknown())),
  courses: z.array(z.record(z.string(), z.unknown())),
  activity: z.array(z.record(z.string(), z.unknown())),
  exportedAt: z.string(),
});
