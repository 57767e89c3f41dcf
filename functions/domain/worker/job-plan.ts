import { catalogueTable } from '../catalogue/catalogue.js';
import { tableSource } from '../catalogue/table-source.js';
import { userExportSections } from '../catalogue/user-sections.js';
import { layoutFor, objectTypeFor } from '../engine/export-format.js';
import type { ExportSource } from '../engine/export-source.js';
import type { ExportPlan } from '../engine/run-export.js';
import { ValidationError } from '../errors.js';
import { API_EXPORT_PREFIX, type ExportJob } from '../jobs/export-job.js';
import type { BulkJobSpec } from '../jobs/job-spec.js';
import { getSchedule, objectKeyFor, windowFor } from '../schedules/schedule-catalogue.js';
import { utcDay } from '../schedules/scheduled-job.js';

/** What a job exports and where: the engine's plan and the bucket of its object. */
export interface ExportTarget {
  readonly plan: ExportPlan;
  readonly bucket: string;
}

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
 * The export plan of a job, from the spec its row stores, checked against the current catalogue
 * (a table or schedule may have gone since the job was queued).
 * @throws ExportError (not retryable) when the job can no longer be exported.
 */
export function planFor(job: ExportJob, defaultBucket: string): ExportTarget {
  const { spec } = job;
  switch (spec.kind) {
    case 'bulk': {
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
    case 'user':
      return {
        bucket: defaultBucket,
        plan: {
          sections: userExportSections(spec.userId),
          format: spec.format,
          compression: spec.compression,
          formulaGuard: spec.formulaGuard,
          keyBase: `${attemptPrefix(job)}/user_export`,
          fileName: `user_export_${utcDay(job.createdAt)}`,
          rootElement: 'userExport',
        },
      };
    case 'scheduled': {
      const def = getSchedule(spec.schedule);
      const window = windowFor(def, new Date(spec.scheduledTime));
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
 * The sources of a bulk job, in request order, checked against the current catalogue.
 * @throws ValidationError (not retryable) naming a table the catalogue no longer has.
 */
export function bulkSources(spec: BulkJobSpec): ExportSource[] {
  return spec.tables.map((name, i) => {
    const table = catalogueTable(name);
    if (!table) throw ValidationError.field(`tables[${i}]`, `unknown table '${name}'`);
    return tableSource(table, spec.filters[name], spec.columns[name]);
  });
}

/**
 * The spec of a bulk job: what its chunks are planned and written from.
 * @throws ValidationError (not retryable) for a job of another kind.
 */
export function bulkSpecOf(job: ExportJob): BulkJobSpec {
  if (job.spec.kind !== 'bulk') throw ValidationError.field('kind', `a ${job.kind} job has no chunks`);
  return job.spec;
}
