import type { JobView } from '../api/types';
import { formatBytes, formatCount, formatDuration } from '../format';

/**
 * A job's progress: a native progress bar (announced by screen readers with its label) and the
 * figures behind it: rows, bytes, tables done, chunks done for a job split into chunks, and the
 * estimated time left while it runs.
 */
export function JobProgress({ job, compact = false }: { job: JobView; compact?: boolean }) {
  const { progress } = job;
  const percent = Math.max(0, Math.min(100, Math.round(progress.percent)));
  const running = job.status === 'processing' || job.status === 'queued';
  const figures = [
    `${formatCount(progress.rowsExported)}${progress.rowsTotal ? ` of ~${formatCount(progress.rowsTotal)}` : ''} rows`,
    formatBytes(progress.bytesWritten),
    `${progress.tablesDone}/${progress.tablesTotal} tables`,
  ];
  if (progress.chunksTotal !== undefined)
    figures.push(`${formatCount(progress.chunksDone ?? 0)}/${formatCount(progress.chunksTotal)} chunks`);
  if (running && progress.etaSeconds !== undefined)
    figures.push(`about ${formatDuration(progress.etaSeconds * 1000)} left`);
  const label = `Progress of export ${job.jobId}`;
  return (
    <div class={`progress ${compact ? 'progress-compact' : ''}`}>
      <div class="progress-line">
        <progress
          max={100}
          value={percent}
          aria-label={label}
          aria-valuetext={`${percent} %, ${figures.join(', ')}`}
          class={`progress-${job.status}`}
        />
        <span class="progress-percent" data-testid="percent">
          {percent} %
        </span>
      </div>
      <div class="progress-figures">{figures.join(' · ')}</div>
    </div>
  );
}
