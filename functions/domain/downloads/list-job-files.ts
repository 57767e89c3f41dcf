import type { Principal } from '../access/auth.js';
import { type JobQueryDeps, loadVisibleJob } from '../jobs/job-queries.js';
import { completedResult, fileDownloadUrl, isChunked, jobFiles, MANIFEST_FILE } from './job-files.js';

/** One file as `GET /jobs/{id}/files` lists it. */
export interface JobFileView {
  readonly name: string;
  readonly table: string | null;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly contentType: string;
  /** The API's download route for this file (a fresh presigned URL on each call). */
  readonly downloadUrl: string;
}

/** `GET /jobs/{id}/files`. */
export interface JobFilesView {
  readonly jobId: string;
  readonly files: readonly JobFileView[];
  /** The download route of a chunked job's `manifest.json`; null for a job of one object. */
  readonly manifestUrl: string | null;
  readonly totals: { readonly files: number; readonly rows: number; readonly bytes: number };
}

/**
 * `GET /jobs/{id}/files` (owner or admin): the files of a completed job, each with a link to the
 * download route rather than a presigned URL, so a link is minted when it is followed and a list
 * kept for hours still works. A job that has not completed is a 409 naming its status.
 */
export async function listJobFiles(
  deps: JobQueryDeps,
  principal: Principal,
  jobId: string,
): Promise<JobFilesView> {
  const job = await loadVisibleJob(deps, principal, jobId);
  const result = completedResult(job);
  const files = jobFiles(result).map((file) => ({
    name: file.name,
    table: file.table,
    rows: file.rows,
    bytes: file.bytes,
    sha256: file.sha256,
    contentType: file.contentType,
    downloadUrl: fileDownloadUrl(deps.publicApiUrl, job.id, file.name),
  }));
  return {
    jobId: job.id,
    files,
    manifestUrl: isChunked(result) ? fileDownloadUrl(deps.publicApiUrl, job.id, MANIFEST_FILE) : null,
    totals: {
      files: files.length,
      rows: files.reduce((sum, file) => sum + file.rows, 0),
      bytes: files.reduce((sum, file) => sum + file.bytes, 0),
    },
  };
}
