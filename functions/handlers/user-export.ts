import { API_BASE_PATH, API_ROUTES } from '../api/api-routes.js';
import {
  file,
  httpHandler,
  json,
  parseHeaders,
  parsePath,
  parseQuery,
  prefersAsync,
  principalFromEvent,
} from '../api/http.js';
import { requestUserExport, type UserExportDeps } from '../domain/jobs/request-user-export.js';
import { apiAudit, apiDatabase, apiJobs, apiRateLimiter } from '../wiring/api/database.js';
import { apiSetting } from '../wiring/api/parts.js';
import { apiQueue } from '../wiring/api/queue.js';

const route = API_ROUTES.userExport;

/** `GET /user/{userId}?format=`: inline export (200) or a queued job (202). */
export function createHandler(deps: () => UserExportDeps | Promise<UserExportDeps>) {
  return httpHandler('user-export', deps, async (event, d) => {
    const principal = principalFromEvent(event);
    const { userId } = parsePath(route.pathParams, event);
    const query = parseQuery(route.query, event);
    parseHeaders(route.headers, event);
    const respondAsync = prefersAsync(event);
    const outcome = await requestUserExport(d, {
      principal,
      userId,
      format: query.format,
      formulaGuard: query.formulaGuard ?? true,
      respondAsync,
    });
    if (outcome.mode === 'inline') return file(outcome.body, outcome.contentType, outcome.fileName);
    return json(
      202,
      { jobId: outcome.job.id, status: outcome.job.status },
      {
        Location: `${API_BASE_PATH}/jobs/${outcome.job.id}`,
        ...(respondAsync && { 'Preference-Applied': 'respond-async' }),
      },
    );
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  jobs: apiJobs(),
  queue: apiQueue(),
  audit: apiAudit(),
  database: apiDatabase(),
  rateLimiter: apiRateLimiter(),
  inlineLimitBytes: apiSetting('inlineLimitBytes'),
}));
