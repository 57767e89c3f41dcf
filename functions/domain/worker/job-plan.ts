import * as z from 'zod/mini';
import {
  type BulkExportSpec,
  bulkSources,
  CONSISTENCY_MODES,
  parseBulkExportRequest,
} from '../catalogue/export-request.js';
import { userExportSections } from '../catalogue/user-sections.js';
import { layoutFor, objectTypeFor } from '../engine/export-format.js';
import type { ExportPlan } from '../engine/run-export.js';
import { ValidationError } from '../errors.js';
import { API_EXPORT_PREFIX, type ExportJob } from '../jobs/export-job.js';
import { getSchedule, objectKeyFor, windowFor } from '../schedules/schedule-catalogue.js';
import { utcDay } from '../schedules/scheduled-job.js';
import { type Schema, UuidSchema } from '../validation.js';

/** What a job exports and where: the engine's plan and the bucket of its object. */
export interface ExportTarget {
  readonly plan: ExportPlan;
  readonly bucket: string;
}

const UserJobOptions = z.object({
  userId: UuidSchema,
  formulaGuard: z.optional(z.boolean()),
});

const BulkJobOptions = z.object({
  columns: z.optional(z.record(z.string(), z.array(z.string()))),
  formulaGuard: z.optional(z.boolean()),
  consistency: z.optional(z.enum(CONSISTENCY_MODES)),
});

/**
 * Each attempt of an API job writes its own object (`exports/{jobId}/{attempt}/…`), so the object
 * the winning completion records can only hold that attempt's bytes: a worker that lost its lease
 * and finishes its upload late writes beside it, never over it. Scheduled jobs write their
 * catalogue destination instead (a rerun replaces it by contract); their downloads check the
 * recorded entity tag.
 */
const attemptPrefix = (job: Pick<ExportJob, 'id' | 'attempts'>) =>
  `${API_EXPORT_PREFIX}${job.id}/${job.attempts}`;

/**
 * The objects attempts `1..job.attempts` of a job wrote or may have written, except `keep`: what
 * a completion (older attempts), a failure or a cancellation (all) removes. Empty for scheduled
 * jobs, whose one destination key may hold an earlier run's good object.
 */
export function attemptObjects(
  job: ExportJob,
  defaultBucket: string,
  keep?: string,
): { readonly bucket: string; readonly keys: readonly string[] } {
  if (job.kind === 'scheduled') return { bucket: defaultBucket, keys: [] };
  const keys: string[] = [];
  for (let attempt = 1; attempt <= job.attempts; attempt++) {
    let target: ExportTarget;
    try {
      target = planFor({ ...job, attempts: attempt }, defaultBucket);
    } catch {
      return { bucket: defaultBucket, keys: [] };
    }
    const { plan } = target;
    const { extension } = objectTypeFor(
      plan.format,
      plan.compression,
      layoutFor(plan.format, plan.sections.length),
    );
    const key = `${plan.keyBase}.${extension}`;
    if (key !== keep) keys.push(key);
  }
  return { bucket: defaultBucket, keys };
}

/**
 * The export plan of a job, rebuilt from what the job row stores and re-checked against the
 * current catalogue (a table or schedule may have gone since the job was queued):
 * - bulk: `tables`, `filters` and `options.columns` / `options.formulaGuard` as the API stored them;
 * - user: `options.userId` (and `options.formulaGuard`, default on);
 * - scheduled: `schedule_name` and `scheduled_for` through the schedule catalogue.
 * @throws ExportError (not retryable) when the job can no longer be exported.
 */
export function planFor(job: ExportJob, defaultBucket: string): ExportTarget {
  switch (job.kind) {
    case 'bulk': {
      const spec = bulkSpecOf(job);
      const name = spec.tables.length === 1 ? spec.tables[0]! : 'bulk_export';
      return {
        bucket: defaultBucket,
        plan: {
          sections: bulkSources(spec),
          format: spec.format,
          compression: spec.compression,
          formulaGuard: spec.formulaGuard,
          keyBase: `${attemptPrefix(job)}/${name}`,
          fileName: `${name}_${utcDay(job.createdAt)}`,
        },
      };
    }
    case 'user': {
      const options = parseJobOptions(UserJobOptions, job.options);
      return {
        bucket: defaultBucket,
        plan: {
          sections: userExportSections(options.userId),
          format: job.format,
          compression: job.compression,
          formulaGuard: options.formulaGuard ?? true,
          keyBase: `${attemptPrefix(job)}/user_export`,
          fileName: `user_export_${utcDay(job.createdAt)}`,
          rootElement: 'userExport',
        },
      };
    }
    case 'scheduled': {
      if (!job.scheduleName || !job.scheduledFor)
        throw ValidationError.field('schedule', 'the job names no schedule slot');
      const def = getSchedule(job.scheduleName);
      const window = windowFor(def, job.scheduledFor);
      const sections = [def.source(window)];
      // The catalogue owns the key; the engine appends the extension, so it is cut off again here.
      const { extension } = objectTypeFor(
        def.format,
        def.compression,
        layoutFor(def.format, sections.length),
      );
      const key = objectKeyFor(def, window, extension);
      const keyBase = key.slice(0, -(extension.length + 1));
      return {
        bucket: def.destination.bucket ?? defaultBucket,
        plan: {
          sections,
          format: def.format,
          compression: def.compression,
          formulaGuard: false,
          keyBase,
          fileName: keyBase.slice(keyBase.lastIndexOf('/') + 1),
        },
      };
    }
  }
}

/**
 * The request a bulk job stores, re-checked against the current catalogue: what its single
 * object or its chunks are built from.
 * @throws ExportError (not retryable) when the job can no longer be exported.
 */
export function bulkSpecOf(job: ExportJob): BulkExportSpec {
  const options = parseJobOptions(BulkJobOptions, job.options);
  return parseBulkExportRequest({
    tables: job.tables,
    filters: job.filters,
    ...(options.columns && { columns: options.columns }),
    format: job.format,
    compression: job.compression,
    csv: { formulaGuard: options.formulaGuard ?? false },
    ...(options.consistency && { consistency: options.consistency }),
  });
}

function parseJobOptions<S extends Schema>(schema: S, options: unknown): z.output<S> {
  const result = z.safeParse(schema, options);
  if (!result.success) {
    throw new ValidationError(
      result.error.issues.map((issue) => ({
        field: ['options', ...issue.path].join('.'),
        message: issue.message,
      })),
    );
  }
  return result.data;
}
