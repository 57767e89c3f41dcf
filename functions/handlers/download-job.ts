import { API_ROUTES } from '../api/api-routes.js';
import { acceptsJson, header, httpHandler, json, parsePath, parseQuery, redirect } from '../api/http.js';
import { type DownloadDeps, downloadJob } from '../domain/downloads/download-job.js';
import { apiAudit, apiJobs } from '../wiring/api/database.js';
import { apiSetting } from '../wiring/api/parts.js';
import { apiStores } from '../wiring/api/stores.js';
import { apiLinkSecret, apiTokens } from '../wiring/api/tokens.js';

const route = API_ROUTES.downloadJob;

/**
 * `GET /jobs/{jobId}/download[?file=]`: 302 to a presigned URL of the file, minted now. Deployed without the
 * authorizer (a browser following an emailed link sends no bearer token): it verifies the link
 * token (`?token=`) or the bearer token itself. With `Accept: application/json` it answers the
 * URL as JSON instead: a script in a browser cannot read the `Location` of a cross-origin redirect.
 */
export function createHandler(deps: () => DownloadDeps | Promise<DownloadDeps>) {
  return httpHandler('download-job', deps, async (event, d) => {
    const { jobId } = parsePath(route.pathParams, event);
    const { token, file } = parseQuery(route.query, event);
    const authorization = header(event, 'authorization');
    const { location, expiresAt } = await downloadJob(
      d,
      jobId,
      token !== undefined ? { linkToken: token } : { ...(authorization !== undefined && { authorization }) },
      file !== undefined ? { file } : {},
    );
    return acceptsJson(event)
      ? json(200, { url: location, expiresAt: expiresAt.toISOString() })
      : redirect(location);
  });
}

/** The Lambda entry point: builds only the clients and adapters this route uses. */
export const handler = createHandler(() => ({
  jobs: apiJobs(),
  audit: apiAudit(),
  storeFor: apiStores(),
  linkSecret: apiLinkSecret(),
  tokens: apiTokens(),
  downloadUrlTtlSeconds: apiSetting('downloadUrlTtlSeconds'),
}));
