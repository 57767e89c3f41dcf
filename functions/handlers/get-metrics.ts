import { getMetrics } from '../domain/export-insights.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.getMetrics;

/** `GET /metrics?since=` (admins). A date-only `since` means midnight UTC. */
export function createHandler(deps: () => Promise<ApiDeps>) {
  return httpHandler('get-metrics', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { since } = parseQuery(route.query, event);
    const from =
      since === undefined ? undefined : new Date(since.length === 10 ? `${since}T00:00:00Z` : since);
    return json(200, await getMetrics(d, principal, from));
  });
}

export const handler = createHandler(apiDeps);
