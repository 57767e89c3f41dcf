import {
  type BulkJobSpec,
  JOB_SPEC_VERSION,
  type JobSpec,
  type ScheduledJobSpec,
  type UserJobSpec,
} from '../../functions/domain/jobs/job-spec.js';

/** A bulk spec: a CSV export of `users` unless overridden. */
export function bulkSpec(overrides: Partial<Omit<BulkJobSpec, 'v' | 'kind'>> = {}): BulkJobSpec {
  return {
    v: JOB_SPEC_VERSION,
    kind: 'bulk',
    tables: ['users'],
    filters: {},
    columns: {},
    format: 'csv',
    compression: 'none',
    formulaGuard: false,
    consistency: 'chunked',
    ...overrides,
  };
}

/** A user export spec of `userId`: JSON, formula guard on, as the API requests it. */
export function userSpec(
  userId: string,
  overrides: Partial<Omit<UserJobSpec, 'v' | 'kind'>> = {},
): UserJobSpec {
  return {
    v: JOB_SPEC_VERSION,
    kind: 'user',
    userId,
    format: 'json',
    compression: 'none',
    formulaGuard: true,
    ...overrides,
  };
}

/** A scheduled run's spec: `daily_transactions` as CSV unless overridden. */
export function scheduledSpec(
  overrides: Partial<Omit<ScheduledJobSpec, 'v' | 'kind'>> = {},
): ScheduledJobSpec {
  return {
    v: JOB_SPEC_VERSION,
    kind: 'scheduled',
    schedule: 'daily_transactions',
    scheduledTime: '2024-05-01T01:00:00.000Z',
    tables: ['transactions'],
    format: 'csv',
    compression: 'none',
    ...overrides,
  };
}

/** The spec a job of `kind` gets when a test names only its kind. */
export function specOfKind(kind: JobSpec['kind']): JobSpec {
  if (kind === 'user') return userSpec('7dff9356-7ea5-8642-b263-215dbc79f7d1');
  if (kind === 'scheduled') return scheduledSpec();
  return bulkSpec();
}
