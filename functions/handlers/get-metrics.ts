import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../api/http.js';
import { getMetrics, type MetricsDeps } from '../domain/jobs/export-insights.js';
import { apiAudit, apiJobs } from '../wiring/api/database.js';
import { systemClock } from '../wiring/api/parts.js';

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
  now: systemClock,
}));
