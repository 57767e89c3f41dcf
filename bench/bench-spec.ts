import {
  type BulkJobSpec,
  type ConsistencyMode,
  JOB_SPEC_VERSION,
} from '../functions/domain/jobs/job-spec.js';

/** The spec of a benchmark's bulk job: one whole table as CSV. */
export function benchSpec(table: string, consistency: ConsistencyMode = 'chunked'): BulkJobSpec {
  return {
    v: JOB_SPEC_VERSION,
    kind: 'bulk',
    tables: [table],
    filters: {},
    columns: {},
    format: 'csv',
    compression: 'none',
    formulaGuard: false,
    consistency,
  };
}
