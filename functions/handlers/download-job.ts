import { downloadJob } from '../domain/download-job.js';
import { type ApiDeps, apiDeps } from '../shared/api-context.js';
import { API_ROUTES } from '../shared/api-schemas.js';
import { header, httpHandler, parsePath, parseQuery, redirect } from '../shared/http.js';

const route = API_ROUTES.downloadJob;

/**
 * `GET /jobs/{jobId}/download`: 302 to a presigned URL minted now. Deployed without the
 * authorizer (a browser following an emailed link sends no bearer token): it verifies the link
 * token (`?token=`) or the bearer token itself.
 */
export function createHandler(deps: () => Promise<ApiDeps>) {
  return httpHandler('download-job', deps, async (event, d) => {
    const { jobId } = parsePath(route.pathParams, event);
    const { token } = parseQuery(route.query, event);
    const authorization = header(event, 'authorization');
    const { location } = await downloadJob(
      d,
      jobId,
      token !== undefined ? { linkToken: token } : { ...(authorization !== undefined && { authorization }) },
    );
    return redirect(location);
  });
}

export const handler = createHandler(apiDeps);
