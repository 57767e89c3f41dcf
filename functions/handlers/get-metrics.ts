import { getMetrics, type MetricsDeps } from '../domain/export-insights.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { apiAudit, apiJobs } from '../shared/api-wiring/database.js';
import { apiClock } from '../shared/api-wiring/provided.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.getMetrics;

/** `GET /metrics?since=` (admins). A date-only `since` means midnight UTC. */
export function createHandler(deps: () => MetricsDeps | Promise<MetricsDeps>) {
  return httpHandler('get-metrics', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { since } = parseQuery(route.query, event);
    const from =
      since === undefined ? undefined : new Date(since.length === 10 ? `${since}T00:00:00Z` : since);
    return json(200, await getMetrics(d, principal, from));
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  jobs: apiJobs(),
  audit: apiAudit(),
  now: apiClock(),
}));
