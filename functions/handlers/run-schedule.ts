import { API_BASE_PATH, API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parseBody, parsePath, parseQuery, principalFromEvent } from '../api/http.js';
import { type RunScheduleDeps, runSchedule } from '../domain/schedules/schedule-runs.js';
import { apiAudit, apiJobs, apiLeases, apiRateLimiter } from '../wiring/api/database.js';
import { apiSetting, systemClock } from '../wiring/api/parts.js';
import { apiQueue } from '../wiring/api/queue.js';

const route = API_ROUTES.runSchedule;

/** `POST /schedules/{name}/run` `{date?, force?}` (admins): 202 `{jobId, status}`. */
export function createHandler(
  deps: () =>
    | (RunScheduleDeps & { readonly maxBodyBytes: number })
    | Promise<RunScheduleDeps & { readonly maxBodyBytes: number }>,
) {
  return httpHandler('run-schedule', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { name } = parsePath(route.pathParams, event);
    parseQuery(route.query, event);
    const body = parseBody(route.body, event, d.maxBodyBytes) ?? {};
    const job = await runSchedule(d, principal, {
      name,
      ...(body.date !== undefined && { date: body.date }),
      ...(body.force !== undefined && { force: body.force }),
    });
    return json(202, { jobId: job.id, status: job.status }, { Location: `${API_BASE_PATH}/jobs/${job.id}` });
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  audit: apiAudit(),
  bucket: apiSetting('bucket'),
  now: systemClock,
  leases: apiLeases(),
  jobs: apiJobs(),
  queue: apiQueue(),
  rateLimiter: apiRateLimiter(),
  maxBodyBytes: apiSetting('maxBodyBytes'),
}));
