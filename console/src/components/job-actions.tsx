import { useState } from 'preact/hooks';
import { ApiError, api, call, downloadJob } from '../api/client';
import type { JobView } from '../api/types';
import { ConfirmDialog } from './confirm-dialog';

/**
 * Download (completed jobs) and cancel (queued or running ones, after a confirmation) for one job.
 * A job split into files downloads its manifest here; the job page lists each file.
 */
export function JobActions({
  job,
  onChanged,
  onError,
}: {
  job: JobView;
  onChanged: () => void;
  onError: (error: ApiError) => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const cancellable = (job.status === 'queued' || job.status === 'processing') && !job.cancelRequested;
  const act = async (action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await action();
      onChanged();
    } catch (error) {
      onError(error instanceof ApiError ? error : new ApiError(0, 'client', String(error)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="actions">
      {job.status === 'completed' && job.downloadUrl && (
        <button
          type="button"
          class="button button-primary"
          disabled={busy}
          aria-label={`Download export ${job.jobId}`}
          onClick={() => act(() => downloadJob(job.jobId))}
        >
          {job.result?.fileCount === undefined ? 'Download' : 'Download manifest'}
        </button>
      )}
      {cancellable && (
        <>
          <button
            type="button"
            class="button"
            disabled={busy}
            aria-label={`Cancel export ${job.jobId}`}
            onClick={() => setConfirming(true)}
          >
            Cancel
          </button>
          <ConfirmDialog
            open={confirming}
            title="Cancel this export?"
            confirmLabel="Cancel export"
            cancelLabel="Keep it"
            onClose={() => setConfirming(false)}
            onConfirm={() =>
              act(() => call(api.DELETE('/jobs/{jobId}', { params: { path: { jobId: job.jobId } } })))
            }
          >
            <p>
              {job.status === 'processing'
                ? 'The running export stops within seconds and its partial file is discarded.'
                : 'The queued export will not run.'}
            </p>
          </ConfirmDialog>
        </>
      )}
    </div>
  );
}
