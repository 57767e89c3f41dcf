import { getLimits, type LimitsDeps } from '../domain/export-insights.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { apiRateLimiter } from '../shared/api-wiring/database.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../shared/http.js';

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
