import { ValidationError } from '../domain/errors.js';
import { requestBulkExport } from '../domain/request-bulk-export.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_BASE_PATH, API_ROUTES } from '../shared/api-routes.js';
import { httpHandler, json, jsonBody, parseHeaders, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.bulkExport;

/** `POST /bulk` (admins): 202 `{jobId, status}`; `Idempotency-Key` replays return the same job. */
export function createHandler(deps: () => Promise<ApiDeps>) {
  return httpHandler('bulk-export', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    parseQuery(route.query, event);
    const headers = parseHeaders(route.headers, event);
    const body = jsonBody(event, d.settings.maxBodyBytes);
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

export const handler = createHandler(apiDeps);
