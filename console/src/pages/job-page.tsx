import { useState } from 'preact/hooks';
import { type ApiError, api, call } from '../api/client';
import { ACTIVE_STATUSES, type JobView } from '../api/types';
import { ApiErrorNotice } from '../components/api-error-notice';
import { JobActions } from '../components/job-actions';
import { JobFilesSection } from '../components/job-files';
import { JobProgress } from '../components/job-progress';
import { jobSubject } from '../components/jobs-table';
import { StatusBadge } from '../components/status-badge';
import { formatBytes, formatCount, formatDateTime, formatDuration } from '../format';
import { ROUTES } from '../routes';
import { usePoll } from '../use-poll';

const ACTIVE_POLL_MS = 1000;

/**
 * One job: live progress while it runs, then its file (name, size, rows per table, checksum) and
 * the download, or for a job split into chunks its files and manifest, or the typed reason it failed. Another user's job is a 403 from the API, shown as
 * such; the console never has data it may not show.
 */
export function JobPage({ jobId }: { jobId: string }) {
  const [actionError, setActionError] = useState<ApiError | undefined>();
  const job = usePollJob(jobId);
  return (
    <section aria-labelledby="job-title">
      <p>
        <a href={ROUTES.jobs}>← All jobs</a>
      </p>
      <h1 id="job-title">
        Export <code>{jobId}</code>
      </h1>
      {job.error && <ApiErrorNotice error={job.error} />}
      {actionError && <ApiErrorNotice error={actionError} />}
      {job.data && (
        <JobDetails
          job={job.data}
          onChanged={() => {
            setActionError(undefined);
            job.reload();
          }}
          onError={setActionError}
        />
      )}
      {job.loading && !job.data && <p aria-busy="true">Loading…</p>}
    </section>
  );
}

function usePollJob(jobId: string) {
  return usePoll<JobView>(
    `job:${jobId}`,
    () => call(api.GET('/jobs/{jobId}', { params: { path: { jobId } } })),
    (job) => (job && !ACTIVE_STATUSES.has(job.status) ? null : ACTIVE_POLL_MS),
  );
}

function JobDetails({
  job,
  onChanged,
  onError,
}: {
  job: JobView;
  onChanged: () => void;
  onError: (error: ApiError) => void;
}) {
  return (
    <>
      <div class="job-head">
        <StatusBadge status={job.status} cancelRequested={job.cancelRequested} />
        <span class="subject">{jobSubject(job)}</span>
        <JobActions job={job} onChanged={onChanged} onError={onError} />
      </div>
      <JobProgress job={job} />
      {job.error && (
        <div class="notice notice-error" data-testid="failure-reason">
          <strong>Why it failed:</strong> {job.error.message} <code>{job.error.code}</code>
          {job.error.retryable && ' (a retry may succeed)'}
        </div>
      )}
      <dl class="facts">
        <dt>Kind</dt>
        <dd>{job.kind}</dd>
        <dt>Tables</dt>
        <dd>{job.tables.join(', ') || '—'}</dd>
        <dt>Format</dt>
        <dd>
          {job.format}
          {job.compression !== 'none' && `, ${job.compression}`}
        </dd>
        <dt>Requested by</dt>
        <dd>
          <code>{job.requestedBy}</code>
        </dd>
        {job.scheduleName && (
          <>
            <dt>Schedule</dt>
            <dd>
              {job.scheduleName}
              {job.scheduledFor && ` for ${job.scheduledFor.slice(0, 10)}`}
            </dd>
          </>
        )}
        <dt>Requested</dt>
        <dd>{formatDateTime(job.createdAt)}</dd>
        <dt>Started</dt>
        <dd>{formatDateTime(job.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>{formatDateTime(job.completedAt)}</dd>
        <dt>Duration</dt>
        <dd>{job.durationMs === null ? '—' : formatDuration(job.durationMs)}</dd>
      </dl>
      {job.result &&
        (job.result.fileCount === undefined ? (
          <OneFile result={job.result} />
        ) : (
          <>
            <RowsPerTable tables={job.result.tables} />
            <JobFilesSection job={job} onError={onError} />
          </>
        ))}
    </>
  );
}

type JobResultView = NonNullable<JobView['result']>;

/** The one object of a job that wrote one: its name, size, rows and checksum. */
function OneFile({ result }: { result: JobResultView }) {
  return (
    <>
      <h2>File</h2>
      <dl class="facts">
        <dt>Name</dt>
        <dd>
          <code>{result.fileName}</code>
        </dd>
        <dt>Size</dt>
        <dd>
          {formatBytes(result.bytes)} ({result.contentType})
        </dd>
        <dt>Rows</dt>
        <dd>{formatCount(result.rows)}</dd>
        <dt>SHA-256</dt>
        <dd>
          <code class="hash">{result.sha256}</code>
        </dd>
      </dl>
      <RowsPerTable tables={result.tables} />
    </>
  );
}

function RowsPerTable({ tables }: { tables: JobResultView['tables'] }) {
  return (
    <table class="table narrow">
      <caption>Rows per table</caption>
      <thead>
        <tr>
          <th scope="col">Table</th>
          <th scope="col" class="number">
            Rows
          </th>
        </tr>
      </thead>
      <tbody>
        {tables.map((table) => (
          <tr key={table.name}>
            <td>{table.name}</td>
            <td class="number">{formatCount(table.rows)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
