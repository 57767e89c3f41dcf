import { DependencyError, ExportError } from '../../domain/errors.js';

// SQLSTATE classes worth a retry: connection exceptions, insufficient resources, operator
// intervention (shutdown, cancel), serialization failures and deadlocks.
const RETRYABLE_SQLSTATE = /^(08|53|57|40)/;
const RETRYABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);
/**
 * Class 22, data exceptions: Postgres refused a value (a date it cannot hold, a NUL byte in text).
 * The same statement with the same values fails the same way every time, so a retry cannot help.
 */
const DATA_EXCEPTION_SQLSTATE = /^22/;

/** Translates a postgres.js error into a domain error; domain errors pass through unchanged. */
export function translatePostgresError(error: unknown, what: string): Error {
  if (error instanceof ExportError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (RETRYABLE_NODE_CODES.has(code) || RETRYABLE_SQLSTATE.test(code))) {
    return new DependencyError(`database unavailable while ${what}`, error);
  }
  if (typeof code === 'string' && DATA_EXCEPTION_SQLSTATE.test(code)) {
    // The database's own text (which quotes the value) stays in the cause, for the log only.
    return new ExportError('invalid_parameters', `the database refused a value while ${what}`, 400, {
      cause: error,
    });
  }
  if (typeof code === 'string' && /^42/.test(code)) {
    return new ExportError(
      'source_unavailable',
      `the export query failed while ${what}: ${(error as Error).message}`,
      500,
      {
        cause: error,
      },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
