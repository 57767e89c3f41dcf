import type { ApiError } from '../api/client';
import type { JobView } from '../api/types';
import { formatDateTime, formatDuration, shortId } from '../format';
import { ROUTES } from '../routes';
import { JobActions } from './job-actions';
import { JobProgress } from './job-progress';
import { StatusBadge } from './status-badge';

export interface JobsTableProps {
  readonly jobs: readonly JobView[];
  readonly caption: string;
  /** Show who requested each job (admins see everyone's). */
  readonly showRequester: boolean;
  readonly onChanged: () => void;
  readonly onError: (error: ApiError) => void;
}

/** What a job exports, in a few words: `users, transactions → csv (gzip)` or the schedule's name. */
export function jobSubject(job: JobView): string {
  const what = job.scheduleName
    ? `${job.scheduleName}${job.scheduledFor ? ` for ${job.scheduledFor.slice(0, 10)}` : ''}`
    : job.kind === 'user'
      ? 'own data'
      : job.tables.join(', ');
  return `${what} → ${job.format}${job.compression !== 'none' ? ` (${job.compression})` : ''}`;
}

/**
 * Jobs as a table on wide screens and as stacked cards on a phone (the cells carry their column
 * name for that layout). Each row: link to the job, status with the failure reason, live progress,
 * timings and the actions.
 */
export function JobsTable(props: JobsTableProps) {
  if (props.jobs.length === 0) return <p class="empty">No exports yet.</p>;
  return (
    <table class="table jobs">
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Export</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          <th scope="col">Requested</th>
          <th scope="col">Duration</th>
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.jobs.map((job) => (
          <tr key={job.jobId} data-job-id={job.jobId} data-status={job.status}>
            <td data-label="Export">
              <a href={ROUTES.job(job.jobId)} class="job-link">
                <code>{shortId(job.jobId)}</code>
              </a>{' '}
              <span class="kind">{job.kind}</span>
              <div class="subject">{jobSubject(job)}</div>
              {props.showRequester && <div class="muted small">by {job.requestedBy}</div>}
            </td>
            <td data-label="Status">
              <StatusBadge status={job.status} cancelRequested={job.cancelRequested} />
              {job.error && (
                <div class="error-reason">
                  <code>{job.error.code}</code> {job.error.message}
                </div>
              )}
            </td>
            <td data-label="Progress">
              <JobProgress job={job} compact />
            </td>
            <td data-label="Requested">{formatDateTime(job.createdAt)}</td>
            <td data-label="Duration">{job.durationMs === null ? '—' : formatDuration(job.durationMs)}</td>
            <td data-label="Actions">
              <JobActions job={job} onChanged={props.onChanged} onError={props.onError} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
