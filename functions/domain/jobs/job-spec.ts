import * as z from 'zod/mini';
import type { TableFilter } from '../catalogue/table-source.js';
import { USER_EXPORT_SECTIONS } from '../catalogue/user-sections.js';
import {
  COMPRESSIONS,
  type Compression,
  EXPORT_FORMATS,
  type ExportFormat,
  USER_EXPORT_FORMATS,
  type UserExportFormat,
} from '../engine/export-format.js';
import { UuidSchema, zodIssues } from '../validation.js';

/** The version of the spec shape written today; a stored spec says which shape it has. */
export const JOB_SPEC_VERSION = 1;

/**
 * How a chunked job's files relate in time (docs/chunked-exports.md), as its manifest states it:
 * - `chunked`: each chunk reads its own snapshot; every row that existed when the job was planned
 *   appears exactly once, with no limit in size or time;
 * - `snapshot`: every chunk reads one exported snapshot, shared by parallel readers inside the
 *   one invocation that holds it, so the job must finish within that invocation.
 */
export const CONSISTENCY_MODES = ['chunked', 'snapshot'] as const;
export type ConsistencyMode = (typeof CONSISTENCY_MODES)[number];

/** An admin's bulk export: catalogue tables, optionally narrowed to columns and date ranges. */
export interface BulkJobSpec {
  readonly v: typeof JOB_SPEC_VERSION;
  readonly kind: 'bulk';
  readonly tables: readonly string[];
  readonly filters: Readonly<Record<string, TableFilter>>;
  readonly columns: Readonly<Record<string, readonly string[]>>;
  readonly format: ExportFormat;
  readonly compression: Compression;
  readonly formulaGuard: boolean;
  readonly consistency: ConsistencyMode;
}

/** A person's "download your data" export. */
export interface UserJobSpec {
  readonly v: typeof JOB_SPEC_VERSION;
  readonly kind: 'user';
  readonly userId: string;
  readonly format: UserExportFormat;
  readonly compression: Compression;
  readonly formulaGuard: boolean;
}

/** One run of a scheduled export, at the time it was scheduled for. */
export interface ScheduledJobSpec {
  readonly v: typeof JOB_SPEC_VERSION;
  readonly kind: 'scheduled';
  readonly schedule: string;
  /** ISO 8601: the moment the run was scheduled for (its window follows from it). */
  readonly scheduledTime: string;
  readonly tables: readonly string[];
  readonly format: ExportFormat;
  readonly compression: Compression;
}

/**
 * What a job exports, parsed once when the job is requested and stored on its row as one typed,
 * versioned value: the worker reads it with one parse ({@link parseJobSpec}) and never rebuilds
 * the request.
 */
export type JobSpec = BulkJobSpec | UserJobSpec | ScheduledJobSpec;

const Name = z.string().check(z.minLength(1), z.maxLength(64));
const Version = z.literal(JOB_SPEC_VERSION);
const Filter = z.strictObject({ dateFrom: z.optional(z.string()), dateTo: z.optional(z.string()) });

const JobSpecSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    v: Version,
    kind: z.literal('bulk'),
    tables: z.array(Name).check(z.minLength(1)),
    filters: z.record(Name, Filter),
    columns: z.record(Name, z.array(Name)),
    format: z.enum(EXPORT_FORMATS),
    compression: z.enum(COMPRESSIONS),
    formulaGuard: z.boolean(),
    consistency: z.enum(CONSISTENCY_MODES),
  }),
  z.strictObject({
    v: Version,
    kind: z.literal('user'),
    userId: UuidSchema,
    format: z.enum(USER_EXPORT_FORMATS),
    compression: z.enum(COMPRESSIONS),
    formulaGuard: z.boolean(),
  }),
  z.strictObject({
    v: Version,
    kind: z.literal('scheduled'),
    schedule: Name,
    scheduledTime: z.iso.datetime({ offset: true }),
    tables: z.array(Name),
    format: z.enum(EXPORT_FORMATS),
    compression: z.enum(COMPRESSIONS),
  }),
]);

/** A stored spec that does not parse: the row was written by something other than this service. */
export class InvalidJobSpecError extends Error {
  constructor(message: string) {
    super(`invalid job spec: ${message}`);
    this.name = 'InvalidJobSpecError';
  }
}

/** Parses a stored spec into its typed form. @throws InvalidJobSpecError naming the fields at fault. */
export function parseJobSpec(value: unknown): JobSpec {
  const result = z.safeParse(JobSpecSchema, value);
  if (!result.success)
    throw new InvalidJobSpecError(
      zodIssues(result.error, ['spec'])
        .map((issue) => `${issue.field}: ${issue.message}`)
        .join('; '),
    );
  return result.data as JobSpec;
}

/** The columns of a job row that restate its spec, for listing, filtering and metrics in SQL. */
export interface JobSpecColumns {
  readonly kind: JobSpec['kind'];
  readonly tables: readonly string[];
  readonly filters: Readonly<Record<string, TableFilter>>;
  readonly format: ExportFormat;
  readonly compression: Compression;
}

/** What a job row's summary columns hold for `spec`: derived here, never given separately. */
export function specColumns(spec: JobSpec): JobSpecColumns {
  switch (spec.kind) {
    case 'bulk':
      return {
        kind: 'bulk',
        tables: spec.tables,
        filters: spec.filters,
        format: spec.format,
        compression: spec.compression,
      };
    case 'user':
      return {
        kind: 'user',
        tables: USER_EXPORT_SECTIONS,
        filters: {},
        format: spec.format,
        compression: spec.compression,
      };
    case 'scheduled':
      return {
        kind: 'scheduled',
        tables: spec.tables,
        filters: {},
        format: spec.format,
        compression: spec.compression,
      };
  }
}

/** The fingerprint input of a spec for idempotency keys: the request's content, not its envelope. */
export function specFingerprint(spec: JobSpec): Readonly<Record<string, unknown>> {
  const { v: _v, kind: _kind, ...content } = spec;
  return content;
}
