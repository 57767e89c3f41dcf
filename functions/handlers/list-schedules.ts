import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parseQuery, principalFromEvent } from '../api/http.js';
import { listSchedules, type ScheduleDeps } from '../domain/schedules/schedule-runs.js';
import { apiAudit } from '../wiring/api/database.js';
import { apiSetting, systemClock } from '../wiring/api/parts.js';

const route = API_ROUTES.listSchedules;

/** `GET /schedules` (admins): the catalogue with next run times. */
export function createHandler(deps: () => ScheduleDeps | Promise<ScheduleDeps>) {
  return httpHandler('list-schedules', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    parseQuery(route.query, event);
    return json(200, { schedules: await listSchedules(d, principal) });
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  audit: apiAudit(),
  bucket: apiSetting('bucket'),
  now: systemClock,
}));
