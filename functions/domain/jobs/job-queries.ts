import { guard } from '../access/api-guards.js';
import { jobDownloadPath } from '../access/api-paths.js';
import type { AuditLog } from '../access/audit-log.js';
import { assertCanSeeJob, type Principal } from '../access/auth.js';
import { NotFoundError } from '../errors.js';
import type { ExportJob, JobError, JobKind, JobProgress, JobStatus } from './export-job.js';
import type { ExportJobs, JobListQuery } from './export-jobs.js';
import { publicJobError } from './failure-reasons.js';

/** A job as `GET /jobs/{id}` and `GET /jobs` show it. */
export interface JobView {
  readonly jobId: string;
  readonly kind: JobKind;
  readonly status: JobStatus;
  readonly format: string;
  readonly compression: string;
  readonly tables: readonly string[];
  readonly requestedBy: string | null;
  readonly cancelRequested: boolean;
  readonly progress: JobProgress;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly completedAt: string | null;
  readonly updatedAt: string;
  /** `completedAt − startedAt` of a finished run. */
  readonly durationMs: number | null;
  readonly error: JobError | null;
  readonly result: {
    readonly fileName: string;
    readonly contentType: string;
    readonly bytes: number;
    readonly sha256: string;
    readonly rows: number;
    readonly tables: readonly { readonly name: string; readonly rows: number }[];
    /** Files of a chunked job (its `fileName` is then the manifest's); absent for one object. */
    readonly fileCount?: number;
  } | null;
  /** The API's download route (302 to a presigned URL minted on each call); completed jobs only. */
  readonly downloadUrl?: string;
  readonly scheduleName?: string;
  readonly scheduledFor?: string;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** Shapes a job for clients; `publicApiUrl` prefixes the download link. Internal fields stay out. */
export function toJobView(job: ExportJob, publicApiUrl: string): JobView {
  const p = job.progress as Partial<JobView['progress']>;
  const completed = job.status === 'completed';
  const tablesTotal = p.tablesTotal ?? job.tables.length;
  return {
    jobId: job.id,
    kind: job.kind,
    status: job.status,
    format: job.format,
    compression: job.compression,
    tables: job.tables,
    requestedBy: job.requestedBy,
    cancelRequested: job.cancelRequested,
    progress: {
      rowsExported: p.rowsExported ?? job.rowsExported,
      bytesWritten: p.bytesWritten ?? job.bytesWritten,
      tablesDone: p.tablesDone ?? (completed ? tablesTotal : 0),
      tablesTotal,
      percent: p.percent ?? (completed ? 100 : 0),
      ...(p.rowsTotal !== undefined && { rowsTotal: p.rowsTotal }),
      ...(p.etaSeconds !== undefined && !completed && { etaSeconds: p.etaSeconds }),
      ...(p.chunksTotal !== undefined && { chunksDone: p.chunksDone ?? 0, chunksTotal: p.chunksTotal }),
    },
    createdAt: job.createdAt.toISOString(),
    startedAt: iso(job.startedAt),
    completedAt: iso(job.completedAt),
    updatedAt: job.updatedAt.toISOString(),
    durationMs: job.startedAt && job.completedAt ? job.completedAt.getTime() - job.startedAt.getTime() : null,
    error: publicJobError(job.error),
    result: job.result
      ? {
          fileName: job.result.fileName,
          contentType: job.result.contentType,
          bytes: job.result.bytes,
          sha256: job.result.sha256,
          rows: job.result.rows,
          tables: job.result.tables,
          ...(job.result.files && { fileCount: job.result.files.length }),
        }
      : null,
    ...(completed &&
      job.result && { downloadUrl: `${publicApiUrl.replace(/\/+$/, '')}${jobDownloadPath(job.id)}` }),
    ...(job.scheduleName && { scheduleName: job.scheduleName }),
    ...(job.scheduledFor && { scheduledFor: job.scheduledFor.toISOString() }),
  };
}

export interface JobQueryDeps {
  readonly jobs: ExportJobs;
  readonly audit: AuditLog;
  readonly publicApiUrl: string;
}

/** Loads a job the principal may see: 404 when absent, 403 (audited) when another user's. */
export async function loadVisibleJob(
  deps: Pick<JobQueryDeps, 'jobs' | 'audit'>,
  principal: Principal,
  jobId: string,
  exportType = 'jobs',
): Promise<ExportJob> {
  const job = await deps.jobs.get(jobId);
  if (!job) throw new NotFoundError(`no export job ${jobId}`);
  await guard(deps.audit, principal, { exportType, jobId }, () => assertCanSeeJob(principal, job));
  return job;
}

/** `GET /jobs/{id}`. */
export async function getJob(deps: JobQueryDeps, principal: Principal, jobId: string): Promise<JobView> {
  return toJobView(await loadVisibleJob(deps, principal, jobId), deps.publicApiUrl);
}

export interface ListJobsInput {
  readonly status?: JobStatus;
  readonly limit: number;
  readonly cursor?: string;
}

/** `GET /jobs`: the caller's jobs, or every job for an admin; newest first. */
export async function listJobs(
  deps: JobQueryDeps,
  principal: Principal,
  input: ListJobsInput,
): Promise<{ jobs: JobView[]; nextCursor: string | null }> {
  const query: JobListQuery = {
    limit: input.limit,
    ...(!principal.isAdmin && { requestedBy: principal.userId }),
    ...(input.status && { status: input.status }),
    ...(input.cursor && { cursor: input.cursor }),
  };
  const page = await deps.jobs.list(query);
  return { jobs: page.jobs.map((job) => toJobView(job, deps.publicApiUrl)), nextCursor: page.nextCursor };
}

/**
 * `DELETE /jobs/{id}`: a queued job is cancelled at once; a running one is flagged and its worker
 * stops within a heartbeat (a few seconds). A finished job is a 409.
 */
export async function cancelJob(deps: JobQueryDeps, principal: Principal, jobId: string): Promise<JobView> {
  const job = await loadVisibleJob(deps, principal, jobId);
  const cancelled = await deps.jobs.requestCancel(job.id);
  if (!cancelled) throw new NotFoundError(`no export job ${jobId}`);
  await deps.audit.record({
    userId: principal.userId,
    exportType: job.kind,
    action: 'cancelled',
    status: cancelled.status === 'cancelled' ? 'cancelled' : 'cancel_requested',
    jobId: job.id,
    details: { previousStatus: job.status, requestedBy: job.requestedBy },
  });
  return toJobView(cancelled, deps.publicApiUrl);
}
