import { runSchedule } from '../domain/schedule-runs.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_BASE_PATH, API_ROUTES } from '../shared/api-routes.js';
import { httpHandler, json, parseBody, parsePath, parseQuery, principalFromEvent } from '../shared/http.js';

const route = API_ROUTES.runSchedule;

/** `POST /schedules/{name}/run` `{date?, force?}` (admins): 202 `{jobId, status}`. */
export function createHandler(deps: () => Promise<ApiDeps>) {
  return httpHandler('run-schedule', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { name } = parsePath(route.pathParams, event);
    parseQuery(route.query, event);
    const body = parseBody(route.body, event, d.settings.maxBodyBytes) ?? {};
    const job = await runSchedule(d, principal, {
      name,
      ...(body.date !== undefined && { date: body.date }),
      ...(body.force !== undefined && { force: body.force }),
    });
    return json(202, { jobId: job.id, status: job.status }, { Location: `${API_BASE_PATH}/jobs/${job.id}` });
  });
}

export const handler = createHandler(apiDeps);
