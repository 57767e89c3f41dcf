import { ExportError } from '../errors.js';
import type { JobError } from './export-job.js';

/**
 * Why a job failed, as its owner sees it (`GET /jobs/{id}`, the failure email, completion events):
 * a stable code and a fixed message that says what to do next. Internal error text (driver
 * messages, stack traces, SQL) never reaches the owner; it is logged where the failure is handled.
 */
export const FAILURE_REASONS = {
  invalid_request:
    'The export request is no longer valid: a table, column or schedule it names has changed. Check the request and start a new export.',
  invalid_parameters:
    'The database refused the export’s parameters (for example a date it cannot hold). Correct or narrow the date range and start a new export.',
  source_unavailable:
    'A table this export reads is not available in the database. Ask an admin to check the export catalogue.',
  storage_refused:
    'The export file could not be written to storage. Ask an admin to check the export bucket and its permissions.',
  dependency_unavailable:
    'A service the export needs (database, storage or queue) was unavailable. Retry later.',
  enqueue_failed: 'The export could not be queued. Retry the request.',
  value_not_representable:
    'A value cannot be written exactly in the chosen format (for example NaN in a Parquet decimal column, or an infinite timestamp). Export the table as CSV or JSON, or correct the value.',
  time_budget_exceeded:
    'The export did not fit in the time a worker has. Narrow the date range or export fewer tables, or ask an admin.',
  snapshot_too_long:
    'A snapshot export must finish within one worker invocation, and this one could not. Export it with consistency "chunked" (no limit in size or time), or narrow the date range.',
  abandoned:
    'The export stopped responding and was given up after several attempts. Retry later; if it fails again, ask an admin.',
  internal_error:
    'The export failed unexpectedly. Retry later; if it fails again, ask an admin and quote the job id.',
} as const;

export type FailureCode = keyof typeof FAILURE_REASONS;

/** Error codes raised inside the service that owners see under another, actionable code. */
const OWNER_CODES: Readonly<Record<string, FailureCode>> = {
  validation_failed: 'invalid_request',
  not_found: 'invalid_request',
  invalid_cron: 'invalid_request',
  object_store_error: 'storage_refused',
  queue_error: 'dependency_unavailable',
  mail_rejected: 'dependency_unavailable',
};

/** The owner-facing code of any error code (unknown ones are `internal_error`). */
export function failureCodeOf(code: string): FailureCode {
  if (Object.hasOwn(FAILURE_REASONS, code)) return code as FailureCode;
  return OWNER_CODES[code] ?? 'internal_error';
}

/** The error to store on a job: the owner-facing code, its fixed message, and whether a retry may help. */
export function jobFailure(code: string, retryable: boolean): JobError {
  const reason = failureCodeOf(code);
  return { code: reason, message: FAILURE_REASONS[reason], retryable };
}

/**
 * A stored job error as the owner may see it: rows written before reasons were typed may still
 * carry internal text, so the message is always re-derived from the code.
 */
export function publicJobError(error: JobError | null): JobError | null {
  return error === null ? null : jobFailure(error.code, error.retryable);
}

/**
 * The error as stored on the job: an owner-facing code and its fixed message (see
 * `FAILURE_REASONS`); anything not raised on purpose is assumed transient. The internal text goes
 * to the log only (see {@link errorDetail}).
 */
export function toJobError(error: unknown): JobError {
  if (error instanceof ExportError) return jobFailure(error.code, error.retryable);
  return jobFailure('internal_error', true);
}

/** What went wrong, for the log: the error's own text and that of its cause. Never shown to owners. */
export function errorDetail(error: unknown): { message: string; cause?: string } {
  const text = (e: unknown) => truncate(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  const cause = error instanceof Error ? error.cause : undefined;
  return { message: text(error), ...(cause !== undefined && { cause: text(cause) }) };
}

const truncate = (text: string) => (text.length > 500 ? `${text.slice(0, 497)}...` : text);
