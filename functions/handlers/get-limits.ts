import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../api/http.js';
import { getLimits, type LimitsDeps } from '../domain/jobs/export-insights.js';
import { apiRateLimiter } from '../wiring/api/database.js';

const route = API_ROUTES.getLimits;

/** `GET /limits`: the caller's export window, without counting this request. */
export function createHandler(deps: () => LimitsDeps | Promise<LimitsDeps>) {
  return httpHandler('get-limits', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    parseQuery(route.query, event);
    return json(200, await getLimits(d, principal));
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  rateLimiter: apiRateLimiter(),
}));
