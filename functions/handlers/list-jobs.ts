import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../api/http.js';
import { type JobQueryDeps, listJobs } from '../domain/jobs/job-queries.js';
import { apiAudit, apiJobs } from '../wiring/api/database.js';
import { apiSetting } from '../wiring/api/parts.js';

const route = API_ROUTES.listJobs;
const DEFAULT_PAGE_SIZE = 20;

/** `GET /jobs?status=&limit=&cursor=`: own jobs (admins: all), newest first. */
export function createHandler(deps: () => JobQueryDeps | Promise<JobQueryDeps>) {
  return httpHandler('list-jobs', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const query = parseQuery(route.query, event);
    const page = await listJobs(d, principal, {
      limit: query.limit ?? DEFAULT_PAGE_SIZE,
      ...(query.status && { status: query.status }),
      ...(query.cursor !== undefined && { cursor: query.cursor }),
    });
    return json(200, page);
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  jobs: apiJobs(),
  audit: apiAudit(),
  publicApiUrl: apiSetting('publicApiUrl'),
}));
