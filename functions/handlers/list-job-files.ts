import type { JobQueryDeps } from '../domain/job-queries.js';
import { listJobFiles } from '../domain/list-job-files.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { apiAudit, apiJobs } from '../shared/api-wiring/database.js';
import { apiSetting } from '../shared/api-wiring/provided.js';
import { httpHandler, json, parsePath, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.listJobFiles;

/** `GET /jobs/{jobId}/files` (owner or admin). */
export function createHandler(deps: () => JobQueryDeps | Promise<JobQueryDeps>) {
  return httpHandler('list-job-files', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { jobId } = parsePath(route.pathParams, event);
    parseQuery(route.query, event);
    return json(200, await listJobFiles(d, principal, jobId));
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  jobs: apiJobs(),
  audit: apiAudit(),
  publicApiUrl: apiSetting('publicApiUrl'),
}));
