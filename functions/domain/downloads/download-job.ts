import type { AuditLog } from '../access/audit-log.js';
import {
  assertCanSeeJob,
  type BearerTokenVerifier,
  type Principal,
  verifyBearerToken,
} from '../access/auth.js';
import { verifyLinkToken } from '../access/link-token.js';
import type { ObjectDownloads } from '../engine/ports.js';
import { ConflictError, ExportError, ForbiddenError, NotFoundError } from '../errors.js';
import type { ExportJob, JobResult } from '../jobs/export-job.js';
import type { ExportJobs } from '../jobs/export-jobs.js';
import { completedResult, type DownloadTarget, downloadTarget } from './job-files.js';

export interface DownloadDeps {
  readonly jobs: ExportJobs;
  readonly audit: AuditLog;
  /** The store of a bucket (scheduled exports may live in another bucket than `EXPORT_BUCKET`). */
  readonly storeFor: (bucket: string | undefined) => ObjectDownloads;
  /** The key that signs link tokens, resolved when a link token is presented. */
  readonly linkSecret: () => Promise<string>;
  /** Verifies the bearer token: this route has no authorizer, so an emailed link works in a browser. */
  readonly tokens: BearerTokenVerifier;
  /** Lifetime of the presigned URL minted for each download (minutes at most). */
  readonly downloadUrlTtlSeconds: number;
}

/** Who asks: the link token of an emailed link (preferred when present), else the bearer token. */
export interface DownloadCredentials {
  readonly linkToken?: string;
  /** The `Authorization` header. */
  readonly authorization?: string;
}

export interface DownloadOptions {
  /**
   * The file to serve, by the name `GET /jobs/{id}/files` lists; without it the job's only file,
   * or a chunked job's manifest.
   */
  readonly file?: string;
}

/**
 * `GET /jobs/{id}/download[?file=]`: a presigned URL of one of the job's files, minted now
 * (DOWNLOAD_URL_TTL_SECONDS), for the owner or an admin, or for the holder of a link token signed
 * for this job (any of its files: the manifest of an emailed link names them all). Presigned URLs
 * signed with a Lambda role's temporary credentials die with them, so emailed links point here
 * rather than at S3. Every attempt by a known caller is audited, refusals included. A request
 * without valid credentials is refused without a write: this route has no authorizer or API key,
 * so anyone can send them, and an audit row each would let strangers fill the table. Those 401s
 * are counted as a metric by the HTTP layer instead.
 */
export async function downloadJob(
  deps: DownloadDeps,
  jobId: string,
  credentials: DownloadCredentials,
  options: DownloadOptions = {},
): Promise<{ readonly location: string; readonly expiresAt: Date; readonly job: ExportJob }> {
  const via = credentials.linkToken !== undefined ? 'link' : 'bearer';
  // Who asks: verified before anything is read or written (see above).
  let userId: string;
  let principal: Principal | undefined;
  if (credentials.linkToken !== undefined) {
    userId = (await verifyLinkToken(await deps.linkSecret(), credentials.linkToken, jobId)).userId;
  } else {
    principal = await verifyBearerToken(deps.tokens, credentials.authorization);
    userId = principal.userId;
  }
  const refuse = async (error: ExportError, job?: ExportJob): Promise<never> => {
    await deps.audit.record({
      userId,
      exportType: job?.kind ?? 'download',
      action: error instanceof ForbiddenError ? 'denied' : 'download',
      status: 'refused',
      // The id asked for, even when no such job exists (the column has no foreign key).
      jobId: job?.id ?? jobId,
      details: {
        via,
        ...(options.file !== undefined && { file: options.file }),
        reason: error.code,
        message: error.message,
      },
    });
    throw error;
  };

  const job = await deps.jobs.get(jobId);
  if (!job) return refuse(new NotFoundError(`no export job ${jobId}`));
  try {
    if (principal) assertCanSeeJob(principal, job);
    else if (userId !== job.requestedBy) throw new ForbiddenError('the download link is not for this export');
  } catch (error) {
    if (error instanceof ForbiddenError) return refuse(error, job);
    throw error;
  }
  let result: JobResult;
  let target: DownloadTarget;
  try {
    result = completedResult(job);
    target = downloadTarget(result, options.file);
  } catch (error) {
    if (error instanceof ExportError) return refuse(error, job);
    throw error;
  }
  const store = deps.storeFor(result.bucket);
  const object = await store.head(target.key);
  if (!object) {
    return refuse(new NotFoundError('the export file has expired or was deleted; request a new export'), job);
  }
  // Only the object the winning completion recorded is served: a scheduled destination key can be
  // overwritten by a later run, and a job whose object changed since is refused, never mixed up.
  if (target.etag !== undefined && object.etag !== target.etag) {
    return refuse(
      new ConflictError('the export file was replaced by another run; request a new export', {
        status: job.status,
      }),
      job,
    );
  }
  const expiresAt = new Date(Date.now() + deps.downloadUrlTtlSeconds * 1000);
  const location = await store.presignDownload(target.key, {
    expiresInSeconds: deps.downloadUrlTtlSeconds,
    filename: target.downloadName,
  });
  await deps.audit.record({
    userId,
    exportType: job.kind,
    action: 'download',
    status: 'ok',
    jobId: job.id,
    details: {
      via,
      file: target.name,
      objectKey: target.key,
      ...(target.bytes !== undefined && { bytes: target.bytes }),
      expiresInSeconds: deps.downloadUrlTtlSeconds,
    },
  });
  return { location, expiresAt, job };
}
