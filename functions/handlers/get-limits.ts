import { getLimits } from '../domain/export-insights.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.getLimits;

/** `GET /limits`: the caller's export window, without counting this request. */
export function createHandler(deps: () => Promise<ApiDeps>) {
  return httpHandler('get-limits', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    parseQuery(route.query, event);
    return json(200, await getLimits(d, principal));
  });
}

export const handler = createHandler(apiDeps);
