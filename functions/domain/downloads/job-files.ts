import { jobDownloadPath } from '../access/api-paths.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { ExportJob, JobResult } from '../jobs/export-job.js';

/** The name by which the manifest of a chunked job is downloaded (`?file=manifest.json`). */
export const MANIFEST_FILE = 'manifest.json';

/**
 * What a `file` parameter may look like: a key relative to the job's folder, in segments of
 * letters, digits, `_`, `-` and `.` that never start with a dot, so no value can climb out of the
 * folder or name a hidden object. Every name the service writes (`users/part-00001.csv.gz`,
 * `daily_transactions_2024-05-01.csv`, `manifest.json`) fits.
 */
export const FILE_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;
export const FILE_NAME_MAX_LENGTH = 255;

/** One file of a completed job, as the files list shows it and a download serves it. */
export interface JobFileEntry {
  /** The `file=` value: the key relative to the job's folder, or the one object's file name. */
  readonly name: string;
  readonly key: string;
  /** The table it holds; null for one object holding several tables (a zip or one document). */
  readonly table: string | null;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly contentType: string;
  /** The entity tag recorded when it was written; a download refuses an object that no longer has it. */
  readonly etag?: string;
  /** The name the browser saves it under (no folders: `users/part-00001.csv` → `users_part-00001.csv`). */
  readonly downloadName: string;
}

/** The result of a completed job; a 409 naming the status otherwise (there is nothing to serve yet). */
export function completedResult(job: ExportJob): JobResult {
  if (job.status !== 'completed' || !job.result) {
    throw new ConflictError(`the export is ${job.status}, not completed`, { status: job.status });
  }
  return job.result;
}

/** Whether the result is a chunked job's: several files and a manifest, rather than one object. */
export function isChunked(result: JobResult): boolean {
  return result.files !== undefined;
}

/**
 * The files of a completed job: a chunked job's parts in manifest order, or the one object of a
 * job that wrote one (its tables, a zip or one document, in a single file).
 */
export function jobFiles(result: JobResult): JobFileEntry[] {
  if (result.files) {
    return result.files.map((file) => ({
      name: file.name,
      key: file.key,
      table: file.table,
      rows: file.rows,
      bytes: file.bytes,
      sha256: file.sha256,
      contentType: file.contentType,
      ...(file.etag !== undefined && { etag: file.etag }),
      downloadName: file.name.replaceAll('/', '_'),
    }));
  }
  return [
    {
      name: result.fileName,
      key: result.objectKey,
      table: result.tables.length === 1 ? result.tables[0]!.name : null,
      rows: result.rows,
      bytes: result.bytes,
      sha256: result.sha256,
      contentType: result.contentType,
      ...(result.etag !== undefined && { etag: result.etag }),
      downloadName: result.fileName,
    },
  ];
}

/** What a download serves and checks: a listed file, or a chunked job's manifest. */
export type DownloadTarget = Pick<JobFileEntry, 'name' | 'key' | 'etag' | 'downloadName'> & {
  /** The file's size; unknown for the manifest (the result's `bytes` are the parts' total). */
  readonly bytes?: number;
};

/** The manifest of a chunked job: the result's own object. */
function manifestTarget(result: JobResult): DownloadTarget {
  return {
    name: MANIFEST_FILE,
    key: result.objectKey,
    ...(result.etag !== undefined && { etag: result.etag }),
    downloadName: result.fileName,
  };
}

/**
 * The file a download serves: `file` by name, or without it the job's only file, or the manifest
 * when there are several (it lists them all).
 * @throws NotFoundError naming `file` when the job has no file of that name.
 */
export function downloadTarget(result: JobResult, file?: string): DownloadTarget {
  const chunked = isChunked(result);
  if (file === undefined) return chunked ? manifestTarget(result) : jobFiles(result)[0]!;
  if (chunked && file === MANIFEST_FILE) return manifestTarget(result);
  const found = jobFiles(result).find((entry) => entry.name === file);
  if (found) return found;
  const message = 'is not a file of this export; GET /jobs/{jobId}/files lists them';
  throw new NotFoundError(`file: ${message}`, [{ field: 'file', message }]);
}

/** The API route that downloads one named file of a job (a fresh presigned URL on each call). */
export function fileDownloadUrl(publicApiUrl: string, jobId: string, name: string): string {
  return `${publicApiUrl.replace(/\/+$/, '')}${jobDownloadPath(jobId)}?file=${encodeURIComponent(name)}`;
}
