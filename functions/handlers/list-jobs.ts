import { listJobs } from '../domain/job-queries.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.listJobs;
const DEFAULT_PAGE_SIZE = 20;

/** `GET /jobs?status=&limit=&cursor=`: own jobs (admins: all), newest first. */
export function createHandler(deps: () => Promise<ApiDeps>) {
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

export const handler = createHandler(apiDeps);
