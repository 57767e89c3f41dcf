import { listSchedules } from '../domain/schedule-runs.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_ROUTES } from '../shared/api-routes.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.listSchedules;

/** `GET /schedules` (admins): the catalogue with next run times. */
export function createHandler(deps: () => Promise<ApiDeps>) {
  return httpHandler('list-schedules', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    parseQuery(route.query, event);
    return json(200, { schedules: await listSchedules(d, principal) });
  });
}

export const handler = createHandler(apiDeps);
