import { getJob } from '../domain/job-queries.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { httpHandler, json, parsePath, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.getJob;

/** `GET /jobs/{jobId}` (owner or admin). */
export function createHandler(deps: () => Promise<ApiDeps>) {
  return httpHandler('get-job', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { jobId } = parsePath(route.pathParams, event);
    parseQuery(route.query, event);
    return json(200, await getJob(d, principal, jobId));
  });
}

export const handler = createHandler(apiDeps);
