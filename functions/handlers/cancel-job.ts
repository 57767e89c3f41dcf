import { cancelJob } from '../domain/job-queries.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { httpHandler, json, parsePath, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.cancelJob;

/** `DELETE /jobs/{jobId}`: 200 when cancelled, 202 when a running job was asked to stop, 409 when finished. */
export function createHandler(deps: () => Promise<ApiDeps>) {
  return httpHandler('cancel-job', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { jobId } = parsePath(route.pathParams, event);
    parseQuery(route.query, event);
    const job = await cancelJob(d, principal, jobId);
    return json(job.status === 'cancelled' ? 200 : 202, job);
  });
}

export const handler = createHandler(apiDeps);
