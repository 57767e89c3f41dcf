import createClient from 'openapi-fetch';
import { currentSession, endSession } from '../session';
import { API_BASE_PATH, type paths } from './openapi.gen';
import type { FieldIssue } from './types';

/**
 * The typed client of the service's HTTP API, generated from its OpenAPI document. Same origin as
 * the console, so no CORS: in AWS CloudFront routes `/api/export/*` to the API and adds the usage
 * plan's API key; locally the key comes with the sign-in link and is kept in sessionStorage.
 */
export const api = createClient<paths>({ baseUrl: API_BASE_PATH });

api.use({
  onRequest({ request }) {
    const session = currentSession();
    if (session) {
      request.headers.set('Authorization', `Bearer ${session.token}`);
      if (session.apiKey) request.headers.set('x-api-key', session.apiKey);
    }
    return request;
  },
  onResponse({ response }) {
    // An expired or revoked token: back to sign-in rather than a page of errors.
    if (response.status === 401 && currentSession()) endSession('Your session has expired. Sign in again.');
    return response;
  },
});

/** An error answer of the API (`{"error": {"code", "message", "details"?}}`), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly FieldIssue[] = [],
    /** From `Retry-After` (429, 503). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ErrorShape {
  error?: { code?: string; message?: string; details?: unknown };
}

function issuesOf(details: unknown): FieldIssue[] {
  if (!Array.isArray(details)) return [];
  return details.filter(
    (d): d is FieldIssue => typeof d?.field === 'string' && typeof d?.message === 'string',
  );
}

/** The data of a successful call; throws ApiError otherwise. */
export async function call<T>(
  request: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await request;
  } catch (error) {
    throw new ApiError(0, 'network', `The service could not be reached (${(error as Error).message}).`);
  }
  const { data, error, response } = result;
  if (response.ok && data !== undefined) return data;
  const body = (error ?? {}) as ErrorShape;
  const retryAfter = Number(response.headers.get('Retry-After'));
  throw new ApiError(
    response.status,
    body.error?.code ?? 'http_error',
    body.error?.message ?? `The service answered ${response.status} ${response.statusText}.`,
    issuesOf(body.error?.details),
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

/**
 * Starts the browser's download of a completed job's file: the API mints a presigned URL (asked
 * for as JSON, since a script cannot read a cross-origin redirect) and the browser navigates to it,
 * so the file streams to disk instead of through this page's memory. Without `file`: the job's
 * only file, or the manifest of a job split into several.
 */
export async function downloadJob(jobId: string, file?: string): Promise<void> {
  const { url } = await call(
    api.GET('/jobs/{jobId}/download', {
      params: { path: { jobId }, ...(file !== undefined && { query: { file } }) },
      headers: { Accept: 'application/json' },
    }),
  );
  const link = document.createElement('a');
  link.href = url;
  link.rel = 'noopener noreferrer';
  document.body.append(link);
  link.click();
  link.remove();
}
