import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parsePath, parseQuery, principalFromEvent } from '../api/http.js';
import { cancelJob, type JobQueryDeps } from '../domain/jobs/job-queries.js';
import { apiAudit, apiJobs } from '../wiring/api/database.js';
import { apiSetting } from '../wiring/api/parts.js';

const route = API_ROUTES.cancelJob;

/** `DELETE /jobs/{jobId}`: 200 when cancelled, 202 when a running job was asked to stop, 409 when finished. */
export function createHandler(deps: () => JobQueryDeps | Promise<JobQueryDeps>) {
  return httpHandler('cancel-job', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { jobId } = parsePath(route.pathParams, event);
    parseQuery(route.query, event);
    const job = await cancelJob(d, principal, jobId);
    return json(job.status === 'cancelled' ? 200 : 202, job);
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  jobs: apiJobs(),
  audit: apiAudit(),
  publicApiUrl: apiSetting('publicApiUrl'),
}));
