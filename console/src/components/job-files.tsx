import { useState } from 'preact/hooks';
import { ApiError, api, call, downloadJob } from '../api/client';
import type { JobFile, JobFiles, JobView } from '../api/types';
import { formatBytes, formatCount } from '../format';
import { usePoll } from '../use-poll';

/**
 * The files of a completed job split into chunks (`GET /jobs/{id}/files`): totals and a download
 * per file (the job's own Download button serves the manifest that lists them with checksums). Each
 * download asks the API for a URL at click time. Loaded once, when the job page shows a completed job.
 */
export function JobFilesSection({ job, onError }: { job: JobView; onError: (error: ApiError) => void }) {
  const files = usePoll<JobFiles>(
    `files:${job.jobId}`,
    () => call(api.GET('/jobs/{jobId}/files', { params: { path: { jobId: job.jobId } } })),
    () => null,
  );
  const [busy, setBusy] = useState<string | undefined>();
  const download = async (file: string) => {
    setBusy(file);
    try {
      await downloadJob(job.jobId, file);
    } catch (error) {
      onError(error instanceof ApiError ? error : new ApiError(0, 'client', String(error)));
    } finally {
      setBusy(undefined);
    }
  };
  return (
    <section aria-labelledby="files-title">
      <h2 id="files-title">Files</h2>
      {files.error && (
        <p class="notice notice-error" role="alert">
          The files could not be listed: {files.error.message}
        </p>
      )}
      {files.loading && <p aria-busy="true">Loading the files…</p>}
      {files.data && (
        <>
          <p data-testid="files-summary">
            {formatCount(files.data.totals.files)} files, {formatBytes(files.data.totals.bytes)},{' '}
            {formatCount(files.data.totals.rows)} rows; the manifest (Download manifest, above) lists them
            with their SHA-256 checksums.
          </p>
          <FilesTable files={files.data.files} busy={busy} onDownload={download} />
        </>
      )}
    </section>
  );
}

function FilesTable({
  files,
  busy,
  onDownload,
}: {
  files: readonly JobFile[];
  busy: string | undefined;
  onDownload: (name: string) => void;
}) {
  return (
    <table class="table files">
      <caption class="visually-hidden">Files of this export</caption>
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col">Table</th>
          <th scope="col" class="number">
            Rows
          </th>
          <th scope="col" class="number">
            Size
          </th>
          <th scope="col">SHA-256</th>
          <th scope="col">
            <span class="visually-hidden">Download</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {files.map((file) => (
          <tr key={file.name} data-file={file.name}>
            <td data-label="File">
              <code>{file.name}</code>
            </td>
            <td data-label="Table">{file.table ?? '—'}</td>
            <td data-label="Rows" class="number">
              {formatCount(file.rows)}
            </td>
            <td data-label="Size" class="number">
              {formatBytes(file.bytes)}
            </td>
            <td data-label="SHA-256">
              <code class="hash" title={file.sha256}>
                {file.sha256.slice(0, 12)}…
              </code>
            </td>
            <td data-label="Download">
              <button
                type="button"
                class="button button-small"
                disabled={busy !== undefined}
                aria-label={`Download file ${file.name}`}
                onClick={() => onDownload(file.name)}
              >
                Download
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
