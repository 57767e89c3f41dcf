import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parsePath, parseQuery, principalFromEvent } from '../api/http.js';
import { getJob, type JobQueryDeps } from '../domain/jobs/job-queries.js';
import { apiAudit, apiJobs } from '../wiring/api/database.js';
import { apiSetting } from '../wiring/api/parts.js';

const route = API_ROUTES.getJob;

/** `GET /jobs/{jobId}` (owner or admin). */
export function createHandler(deps: () => JobQueryDeps | Promise<JobQueryDeps>) {
  return httpHandler('get-job', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { jobId } = parsePath(route.pathParams, event);
    parseQuery(route.query, event);
    return json(200, await getJob(d, principal, jobId));
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  jobs: apiJobs(),
  audit: apiAudit(),
  publicApiUrl: apiSetting('publicApiUrl'),
}));
