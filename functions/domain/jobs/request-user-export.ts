import type { Readable } from 'node:stream';
import {
  assertRateLimitAllows,
  enforceRateLimit,
  guard,
  type SubmitJobDeps,
  submitJob,
} from '../access/api-guards.js';
import { assertCanExportUser, type Principal } from '../access/auth.js';
import type { RateLimiter } from '../access/rate-limit.js';
import { userExportSections } from '../catalogue/user-sections.js';
import type { UserExportFormat } from '../engine/export-format.js';
import type { ExportDatabase, ObjectStore, StoredObject, UploadRequest } from '../engine/ports.js';
import { type ExportPlan, runExport } from '../engine/run-export.js';
import { ExportError, NotFoundError } from '../errors.js';
import type { ExportJob } from './export-job.js';
import { JOB_SPEC_VERSION } from './job-spec.js';

export interface UserExportDeps extends SubmitJobDeps {
  readonly database: ExportDatabase;
  readonly rateLimiter: RateLimiter;
  /** Largest rendered export answered inline (bytes before base64). */
  readonly inlineLimitBytes: number;
}

export interface UserExportInput {
  readonly principal: Principal;
  /** Validated UUID of the user whose data is exported. */
  readonly userId: string;
  readonly format: UserExportFormat;
  /** Prefix `'` to spreadsheet-formula cells in CSV. Default on for user exports (docs/formats.md). */
  readonly formulaGuard: boolean;
  /** `Prefer: respond-async`: always answer with a job. */
  readonly respondAsync: boolean;
}

export type UserExportOutcome =
  | {
      readonly mode: 'inline';
      readonly body: Buffer;
      readonly contentType: string;
      readonly fileName: string;
      readonly rows: number;
    }
  | { readonly mode: 'async'; readonly job: ExportJob; readonly reason: 'requested' | 'too_large' };

/** The export plan of an inline user export: the same sections and document shape as a user job. */
export function inlineUserExportPlan(
  userId: string,
  format: UserExportFormat,
  formulaGuard: boolean,
): ExportPlan {
  return {
    sections: userExportSections(userId),
    format,
    compression: 'none',
    formulaGuard,
    keyBase: `inline/user-${userId}-export`,
    fileName: `user-${userId}-export`,
    rootElement: 'userExport',
  };
}

/**
 * `GET /user/{userId}`: the user's data inline when it renders within the inline limit, else (or
 * when asked to respond asynchronously) a queued job whose link is emailed to the requester.
 * Order: access (403, audited), a slot left in the window (429, audited), the user must exist
 * (404, not counted), the request counted (429 if a concurrent one took the last slot), export.
 */
export async function requestUserExport(
  deps: UserExportDeps,
  input: UserExportInput,
): Promise<UserExportOutcome> {
  const { principal, userId, format } = input;
  const details = { subjectUserId: userId, format };
  await guard(deps.audit, principal, { exportType: 'user', details }, () =>
    assertCanExportUser(principal, userId),
  );
  // A caller without a slot is refused before the database is asked anything.
  await assertRateLimitAllows(deps, principal, 'user', details);
  const sections = userExportSections(userId);
  const counts = await deps.database.withSnapshot(async (snapshot) => {
    const rows: number[] = [];
    for (const section of sections) rows.push(await snapshot.count(section));
    return rows;
  });
  if (counts[0] === 0) throw new NotFoundError(`no user ${userId}`);
  await enforceRateLimit(deps, principal, 'user', details);

  // Every row takes well over MIN_ROW_BYTES in any format: more rows than that cannot fit inline,
  // so such exports go straight to a job instead of being rendered once in vain.
  const rows = counts.reduce((a, b) => a + b, 0);
  const mayFit = rows * MIN_ROW_BYTES <= deps.inlineLimitBytes;
  if (!input.respondAsync && mayFit) {
    const capture = new InlineCapture(deps.inlineLimitBytes);
    const result = await runExport(
      { database: deps.database, store: capture },
      inlineUserExportPlan(userId, format, input.formulaGuard),
    ).catch((error: unknown) => {
      if (error instanceof InlineLimitExceeded) return undefined;
      throw error;
    });
    const body = result && capture.body();
    if (result && body) {
      await deps.audit.record({
        userId: principal.userId,
        exportType: 'user',
        action: 'request',
        status: 'inline',
        details: { ...details, bytes: result.bytes, rows: result.rows, sha256: result.sha256 },
      });
      return {
        mode: 'inline',
        body,
        contentType: result.contentType,
        fileName: result.fileName,
        rows: result.rows,
      };
    }
  }
  const { job } = await submitJob(
    deps,
    principal,
    {
      spec: {
        v: JOB_SPEC_VERSION,
        kind: 'user',
        userId,
        format,
        compression: 'none',
        formulaGuard: input.formulaGuard,
      },
      requestedBy: principal.userId,
      requesterEmail: principal.email,
    },
    { ...details, mode: input.respondAsync ? 'async_requested' : 'async_too_large' },
  );
  return { mode: 'async', job, reason: input.respondAsync ? 'requested' : 'too_large' };
}

/** A lower bound of any exported row's size (a CSV transaction row alone has a 36-byte uuid). */
const MIN_ROW_BYTES = 32;

/** The rendered export outgrew the inline limit: the engine stops and the request becomes a job. */
class InlineLimitExceeded extends ExportError {
  constructor(limit: number) {
    super('inline_limit_exceeded', `the export is larger than the inline limit of ${limit} bytes`, 413);
  }
}

/**
 * An ObjectStore that keeps one upload in memory while it stays within `limit` bytes. Past the
 * limit it fails the upload, which stops the export at once, so memory stays bounded by the limit.
 */
class InlineCapture implements ObjectStore {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit: number) {}

  /** The stored object. */
  body(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }

  async upload(request: UploadRequest): Promise<StoredObject> {
    for await (const chunk of request.body as Readable) {
      const buffer = chunk as Buffer;
      this.size += buffer.length;
      if (this.size > this.limit) {
        this.chunks = [];
        throw new InlineLimitExceeded(this.limit);
      }
      this.chunks.push(buffer);
    }
    return { etag: 'inline' };
  }

  async presignDownload(): Promise<string> {
    throw new Error('inline exports are not stored');
  }

  async head(): Promise<undefined> {
    return undefined;
  }

  async delete(): Promise<void> {}
}
