import type { JobStatus } from '../api/types';

const LABELS: Record<JobStatus, string> = {
  queued: 'Queued',
  processing: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** A job's status as text and colour (the text alone carries the meaning). */
export function StatusBadge({ status, cancelRequested }: { status: JobStatus; cancelRequested?: boolean }) {
  const label = cancelRequested && status === 'processing' ? 'Stopping' : (LABELS[status] ?? status);
  return <span class={`status status-${status}`}>{label}</span>;
}
