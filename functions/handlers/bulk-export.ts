import { API_BASE_PATH, API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, jsonBody, parseHeaders, parseQuery, principalFromEvent } from '../api/http.js';
import { ValidationError } from '../domain/errors.js';
import { type BulkExportDeps, requestBulkExport } from '../domain/jobs/request-bulk-export.js';
import { apiAudit, apiJobs, apiRateLimiter } from '../wiring/api/database.js';
import { apiSetting } from '../wiring/api/parts.js';
import { apiQueue } from '../wiring/api/queue.js';

const route = API_ROUTES.bulkExport;

/** `POST /bulk` (admins): 202 `{jobId, status}`; `Idempotency-Key` replays return the same job. */
export function createHandler(
  deps: () =>
    | (BulkExportDeps & { readonly maxBodyBytes: number })
    | Promise<BulkExportDeps & { readonly maxBodyBytes: number }>,
) {
  return httpHandler('bulk-export', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    parseQuery(route.query, event);
    const headers = parseHeaders(route.headers, event);
    const body = jsonBody(event, d.maxBodyBytes);
    if (body === undefined) throw ValidationError.field('body', 'a JSON body is required');
    const idempotencyKey = headers['Idempotency-Key'] as string | undefined;
    const { job, created } = await requestBulkExport(d, {
      principal,
      body,
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    });
    return json(
      202,
      { jobId: job.id, status: job.status },
      { Location: `${API_BASE_PATH}/jobs/${job.id}`, ...(!created && { 'Idempotent-Replayed': 'true' }) },
    );
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  jobs: apiJobs(),
  queue: apiQueue(),
  audit: apiAudit(),
  rateLimiter: apiRateLimiter(),
  maxBodyBytes: apiSetting('maxBodyBytes'),
}));
