/** Base path of every route of the HTTP API (docs/api.md). */
export const API_BASE_PATH = '/api/export';

/** The API route that downloads a job's file (it mints a fresh presigned URL when called). */
export function jobDownloadPath(jobId: string): string {
  return `${API_BASE_PATH}/jobs/${encodeURIComponent(jobId)}/download`;
}

/** The emailed link: the download route on `publicApiUrl`, authorised by a signed link token. */
export function downloadLink(publicApiUrl: string, jobId: string, token: string): string {
  return `${publicApiUrl.replace(/\/+$/, '')}${jobDownloadPath(jobId)}?token=${encodeURIComponent(token)}`;
}
