import { requestUserExport } from '../domain/request-user-export.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_BASE_PATH, API_ROUTES } from '../shared/api-routes.js';
import {
  file,
  httpHandler,
  json,
  parseHeaders,
  parsePath,
  parseQuery,
  prefersAsync,
  principalFromEvent,
} from '../shared/http.js';

const route = API_ROUTES.userExport;

/** `GET /user/{userId}?format=`: inline export (200) or a queued job (202). */
export function createHandler(deps: () => Promise<ApiDeps>) {
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

export const handler = createHandler(apiDeps);
