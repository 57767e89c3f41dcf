import { enforceRateLimit, guard, type SubmitJobDeps, submitJob } from '../access/api-guards.js';
import { assertAdmin, type Principal } from '../access/auth.js';
import type { RateLimiter } from '../access/rate-limit.js';
import { ConflictError } from '../errors.js';
import { parseBulkExportRequest } from '../jobs/bulk-request.js';
import type { ExportJob } from './export-job.js';
import { requestHash } from './export-jobs.js';
import { specFingerprint } from './job-spec.js';

export interface BulkExportDeps extends SubmitJobDeps {
  readonly rateLimiter: RateLimiter;
}

export interface BulkExportInput {
  readonly principal: Principal;
  /** The parsed JSON body, validated here against the schema and the catalogue. */
  readonly body: unknown;
  /** `Idempotency-Key` header, already checked for shape. */
  readonly idempotencyKey?: string;
}

export interface BulkExportOutcome {
  readonly job: ExportJob;
  /** False when the idempotency key returned an earlier job. */
  readonly created: boolean;
}

/**
 * `POST /bulk` (admins): validates the request against the catalogue, then creates and queues the
 * job. With an `Idempotency-Key`, a retry of the same request (same normalised body) returns the
 * first job without counting against the rate limit; the key with another body is a 409.
 */
export async function requestBulkExport(
  deps: BulkExportDeps,
  input: BulkExportInput,
): Promise<BulkExportOutcome> {
  const { principal } = input;
  await guard(deps.audit, principal, { exportType: 'bulk' }, () => assertAdmin(principal));
  const spec = parseBulkExportRequest(input.body);
  const hash = requestHash(specFingerprint(spec));
  const key = input.idempotencyKey;
  if (key !== undefined) {
    const existing = await deps.jobs.findByIdempotencyKey(principal.userId, key);
    if (existing) {
      if (existing.requestHash !== hash) {
        throw new ConflictError('this Idempotency-Key was already used with a different request', {
          jobId: existing.id,
        });
      }
      return { job: existing, created: false };
    }
  }
  const details = { tables: spec.tables, format: spec.format, compression: spec.compression };
  await enforceRateLimit(deps, principal, 'bulk', details);
  return submitJob(
    deps,
    principal,
    {
      spec,
      requestedBy: principal.userId,
      requesterEmail: principal.email,
      idempotencyKey: key ?? null,
      requestHash: hash,
    },
    { ...details, ...(key !== undefined && { idempotencyKey: key }) },
  );
}
