/** One problem with a request, naming the offending field by its path (e.g. `filters.users.dateFrom`). */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export interface ExportErrorOptions {
  readonly retryable?: boolean;
  readonly cause?: unknown;
  readonly details?: unknown;
}

/**
 * Base of every error the service raises on purpose. `code` is stable and machine readable,
 * `retryable` tells the worker whether SQS should redeliver, `status` is the HTTP status the API
 * maps it to.
 */
export class ExportError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: unknown;

  constructor(code: string, message: string, status: number, options: ExportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

/** Bad input: 400 with the fields at fault. */
export class ValidationError extends ExportError {
  readonly issues: readonly FieldIssue[];
  constructor(issues: readonly FieldIssue[], message?: string) {
    const first = issues[0];
    super(
      'validation_failed',
      message ?? (first ? `${first.field}: ${first.message}` : 'invalid request'),
      400,
      {
        details: issues,
      },
    );
    this.issues = issues;
  }
  static field(field: string, message: string): ValidationError {
    return new ValidationError([{ field, message }]);
  }
}

export class UnauthorizedError extends ExportError {
  constructor(message = 'a valid bearer token is required') {
    super('unauthorized', message, 401);
  }
}

export class ForbiddenError extends ExportError {
  constructor(message = 'not allowed') {
    super('forbidden', message, 403);
  }
}

/** No such resource: 404; `details` may name the field whose value found nothing. */
export class NotFoundError extends ExportError {
  constructor(message = 'not found', details?: readonly FieldIssue[]) {
    super('not_found', message, 404, { details });
  }
}

export class ConflictError extends ExportError {
  constructor(message: string, details?: unknown) {
    super('conflict', message, 409, { details });
  }
}

export class PayloadTooLargeError extends ExportError {
  constructor(message = 'request body too large') {
    super('payload_too_large', message, 413);
  }
}

export class RateLimitedError extends ExportError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number, details?: unknown) {
    super('rate_limited', `too many export requests; retry in ${retryAfterSeconds} s`, 429, { details });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A dependency (database, object store, queue) failed in a way worth retrying. */
export class DependencyError extends ExportError {
  constructor(message: string, cause?: unknown) {
    super('dependency_unavailable', message, 503, { retryable: true, cause });
  }
}

/** The export was cancelled while it ran. */
export class ExportCancelledError extends ExportError {
  constructor() {
    super('cancelled', 'the export was cancelled', 409);
  }
}

/**
 * A value the export's format cannot hold exactly (NaN in a Parquet DECIMAL column, an infinite
 * timestamp). Retrying cannot help; another format or a corrected row can.
 */
export class UnrepresentableValueError extends ExportError {
  constructor(message: string) {
    super('value_not_representable', message, 422);
  }
}

/** The export cannot finish in this invocation: released and retried by a fresh one. */
export class TimeBudgetExceededError extends ExportError {
  constructor(message: string) {
    super('time_budget_exceeded', message, 503, { retryable: true });
  }
}

/**
 * A snapshot job ran out of its invocation: its snapshot ends with the invocation, so no other
 * invocation can continue it, and a retry would run out the same way.
 */
export class SnapshotTooLongError extends ExportError {
  constructor(message: string) {
    super('snapshot_too_long', message, 422);
  }
}

/** This worker's lease was taken over (it had expired) or the job left `processing` under it. */
export class LeaseLostError extends Error {
  constructor() {
    super('the job lease was lost');
    this.name = 'LeaseLostError';
  }
}
