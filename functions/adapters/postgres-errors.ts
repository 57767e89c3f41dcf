import { DependencyError, ExportError } from '../domain/errors.js';

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

/** Translates a postgres.js error into a domain error; domain errors pass through unchanged. */
export function translatePostgresError(error: unknown, what: string): Error {
  if (error instanceof ExportError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (RETRYABLE_NODE_CODES.has(code) || RETRYABLE_SQLSTATE.test(code))) {
    return new DependencyError(`database unavailable while ${what}`, error);
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
