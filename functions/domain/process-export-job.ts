import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod/mini';
import type { AuditAction, AuditLog } from './audit-log.js';
import { ConflictError, ExportCancelledError, ExportError, ValidationError } from './errors.js';
import { completedExportEmail, type EmailContent, failedExportEmail } from './export-emails.js';
import { layoutFor, objectTypeFor } from './export-format.js';
import type { ExportJob, JobError, JobProgress, JobResult, JobStatus } from './export-job.js';
import type { ExportQueueMessage } from './export-queue.js';
import { bulkSources, parseBulkExportRequest } from './export-request.js';
import { type ExportPlan, type ExportProgress, runExport } from './export-runner.js';
import { jobFailure } from './failure-reasons.js';
import {
  type ClaimSkipReason,
  isClaimSkipped,
  type JobLeases,
  type ScheduledJobInput,
} from './job-leases.js';
import { createLinkToken } from './link-token.js';
import type { Mailer } from './mailer.js';
import type { MetricsSink } from './metrics-sink.js';
import type { ExportDatabase, ObjectStore } from './ports.js';
import {
  getSchedule,
  objectKeyFor,
  type ScheduleDefinition,
  type ScheduleWindow,
  windowFor,
} from './schedule-catalogue.js';
import { userExportSections } from './user-export.js';
import { type Schema, UuidSchema } from './validation.js';

/** Structured log lines; Powertools Logger fits it. Never give it tokens, links or URLs with credentials. */
export interface WorkerLog {
  info(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  error(message: string, ...attributes: Record<string, unknown>[]): void;
}

const SILENT: WorkerLog = { info() {}, warn() {}, error() {} };

export interface ProcessExportJobSettings {
  /** Lease length; the heartbeat renews it, so it only bounds how long a crashed worker blocks a retry. */
  readonly leaseSeconds: number;
  /** Lifetime of the emailed download link. */
  readonly linkTtlSeconds: number;
  /** How often progress is written, the lease renewed and cancellation checked. @default 2000 */
  readonly heartbeatMs?: number;
  /** Stop this long before the invocation's deadline at the latest. @default 30000 */
  readonly safetyMarginMs?: number;
  /** The rate is trusted for the ETA check only after this long. @default 2000 */
  readonly rateSampleMs?: number;
}

export interface ProcessExportJobDeps {
  readonly leases: JobLeases;
  readonly database: ExportDatabase;
  /** The object store of `bucket`; called once per job. */
  readonly storeFor: (bucket: string) => ObjectStore;
  /** `EXPORT_BUCKET`: API jobs, and scheduled ones whose destination names no bucket. */
  readonly defaultBucket: string;
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  readonly metrics: MetricsSink;
  /** Key that signs download link tokens (see `createLinkToken`). */
  readonly linkSecret: string;
  /** Base of the emailed link, e.g. `https://api.example.com/prod`; `/api/export/jobs/…` is appended. */
  readonly publicApiUrl: string;
  readonly settings: ProcessExportJobSettings;
  readonly log?: WorkerLog;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface ProcessExportJobInput {
  readonly message: ExportQueueMessage;
  /** SQS `ApproximateReceiveCount` of this delivery (1 on the first). */
  readonly receiveCount: number;
  /** The queue's redrive `maxReceiveCount`: the delivery with this count is the last one. */
  readonly maxReceiveCount: number;
  /** Milliseconds left in this invocation (Lambda's `context.getRemainingTimeInMillis`). */
  readonly remainingTimeMs: () => number;
  /** Lease owner; unique per delivery. @default a random id */
  readonly workerId?: string;
  /** Logger for this message (job id and request id appended); overrides `deps.log`. */
  readonly log?: WorkerLog;
}

/** What became of one message. Retryable failures are thrown instead (see `processExportJob`). */
export type ProcessOutcome =
  | { readonly status: 'completed'; readonly jobId: string; readonly result: JobResult }
  | { readonly status: 'failed'; readonly jobId: string; readonly error: JobError }
  | { readonly status: 'cancelled'; readonly jobId: string }
  | {
      readonly status: 'skipped';
      readonly jobId: string | null;
      readonly reason: ClaimSkipReason | 'lease_lost' | 'unknown_schedule';
    };

/** The export cannot finish in this invocation: released and retried by a fresh one. */
export class TimeBudgetExceededError extends ExportError {
  constructor(message: string) {
    super('time_budget_exceeded', message, 503, { retryable: true });
  }
}

/** This worker's lease was taken over (it had expired) or the job left `processing` under it. */
class LeaseLostError extends Error {
  constructor() {
    super('the job lease was lost');
    this.name = 'LeaseLostError';
  }
}

/**
 * Processes one export-queue message: claims the job (creating it first for a scheduled run),
 * streams the export into its object, and records exactly one outcome.
 *
 * - **Skipped** (acknowledge): the job is finished, leased by another worker, or unknown. So a
 *   redelivered or duplicated message never yields a second object, email or completion: only the
 *   claim winner runs, object keys are deterministic, and only the worker whose conditional
 *   `complete` succeeds sends the email.
 * - **Completed**: result manifest on the job, one email with the signed link, audit, metrics.
 * - **Cancelled** (`cancel_requested` seen by the heartbeat): upload aborted, no object, no email.
 * - **Failed, not retryable** (bad spec, table or schedule gone…): job `failed`, one failure
 *   email, audit; the outcome is returned, so the message is acknowledged.
 * - **Retryable** (database or S3 unavailable, time budget exhausted, unexpected errors): the lease
 *   is released and the error **thrown**, so SQS redelivers. On the last allowed receive
 *   (`receiveCount >= maxReceiveCount`) the job is first marked `failed` (email, audit, metric) and
 *   the error is still thrown, so the message ends in the dead-letter queue, whose alarm tells
 *   operators; a redrive of it is harmless (the claim skips the finished job).
 *
 * Time budget: the export is stopped and released, never killed mid-write, when fewer than
 * `safetyMarginMs` remain or when the measured row rate says it cannot finish before that margin.
 * Measured on the worker path (handler → COPY → CSV → S3 multipart, local S3 emulator, 2 vCPUs):
 * about 190 000 rows/s and 40 MB/s for `activity_logs` CSV (150 000 rows/s gzip, 130 000 rows/s
 * XML), so one 15-minute invocation (870 s usable) fits roughly 150 million rows or 30 GB of CSV.
 * A larger export fails with `time_budget_exceeded` after its retries instead of running forever.
 */
export async function processExportJob(
  deps: ProcessExportJobDeps,
  input: ProcessExportJobInput,
): Promise<ProcessOutcome> {
  const log = input.log ?? deps.log ?? SILENT;
  const owner = input.workerId ?? `worker-${randomUUID()}`;
  let jobId: string;
  if ('jobId' in input.message) {
    jobId = input.message.jobId;
  } else {
    const message = input.message;
    let slot: ScheduledJobInput;
    try {
      slot = scheduledJobInput(getSchedule(message.schedule), new Date(message.scheduledTime), {
        // The scheduler's runs belong to no user: only admins see them.
        requestedBy: null,
        requesterEmail: null,
      });
    } catch (error) {
      if (!(error instanceof ExportError) || error.retryable) throw error;
      log.error('scheduled message for an unknown schedule or invalid time; acknowledged', {
        schedule: message.schedule,
        scheduledTime: message.scheduledTime,
        error: error.message,
      });
      return { status: 'skipped', jobId: null, reason: 'unknown_schedule' };
    }
    jobId = (await deps.leases.ensureScheduledJob(slot)).id;
  }

  const claim = await deps.leases.claim(jobId, owner, deps.settings.leaseSeconds);
  if (isClaimSkipped(claim)) {
    log.info('job not claimed; message acknowledged', {
      jobId,
      reason: claim.skipped,
      jobStatus: claim.status,
    });
    return { status: 'skipped', jobId, reason: claim.skipped };
  }
  return new JobRun(deps, input, claim, owner, log).run();
}

/** The settings with their defaults filled in. */
function settingsOf(deps: ProcessExportJobDeps) {
  const { settings } = deps;
  return {
    heartbeatMs: settings.heartbeatMs ?? 2_000,
    safetyMarginMs: settings.safetyMarginMs ?? 30_000,
    rateSampleMs: settings.rateSampleMs ?? 2_000,
  };
}

/** One claimed job, from plan to outcome. */
class JobRun {
  private readonly now: () => number;
  private readonly settings: ReturnType<typeof settingsOf>;

  constructor(
    private readonly deps: ProcessExportJobDeps,
    private readonly input: ProcessExportJobInput,
    private readonly job: ExportJob,
    private readonly owner: string,
    private readonly log: WorkerLog,
  ) {
    this.now = deps.now ?? Date.now;
    this.settings = settingsOf(deps);
  }

  async run(): Promise<ProcessOutcome> {
    const { job } = this;
    this.log.info('job claimed', {
      jobId: job.id,
      kind: job.kind,
      format: job.format,
      attempt: job.attempts,
    });
    await this.audit('started', 'ok', { attempt: job.attempts, receiveCount: this.input.receiveCount });
    if (job.cancelRequested) return this.cancelled();

    let target: ExportTarget;
    try {
      target = planFor(job, this.deps.defaultBucket);
    } catch (error) {
      return this.failed(error);
    }
    if (this.input.remainingTimeMs() <= this.settings.safetyMarginMs) {
      return this.failed(
        new TimeBudgetExceededError('not enough time left in this invocation to start the export'),
      );
    }

    const startedAt = this.now();
    const monitor = new JobMonitor(this.deps, this.input, this.job, this.owner, this.log, startedAt);
    let result: JobResult;
    let progress: JobProgress;
    try {
      const exported = await runExport(
        { database: this.deps.database, store: this.deps.storeFor(target.bucket) },
        target.plan,
        {
          signal: monitor.signal,
          onProgress: (p) => monitor.onProgress(p),
        },
      );
      await monitor.stop();
      result = { ...exported, bucket: target.bucket };
      progress = {
        rowsExported: exported.rows,
        rowsTotal: exported.rows,
        bytesWritten: exported.bytes,
        tablesDone: exported.tables.length,
        tablesTotal: exported.tables.length,
        percent: 100,
        etaSeconds: 0,
      };
      if (!(await this.deps.leases.complete(job.id, this.owner, result, progress))) {
        this.log.warn('lease lost before completion; the new lease holder finishes the job', {
          jobId: job.id,
        });
        // This attempt's own object is nobody's result: remove it (a scheduled destination stays).
        if (job.kind !== 'scheduled') await discardObjects(this.deps, job, [result.objectKey], this.log);
        return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
      }
    } catch (thrown) {
      await monitor.stop();
      const error = monitor.reason ?? thrown;
      if (error instanceof ExportCancelledError) return this.cancelled();
      if (error instanceof LeaseLostError) {
        this.log.warn('lease lost while exporting; stopped', { jobId: job.id });
        return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
      }
      return this.failed(error);
    }

    // Objects of earlier attempts (one that crashed after its upload completed) are not the result.
    await discardObjects(
      this.deps,
      job,
      attemptObjects(job, this.deps.defaultBucket, result.objectKey).keys,
      this.log,
    );
    const durationMs = this.now() - startedAt;
    this.log.info('export completed', {
      jobId: job.id,
      objectKey: result.objectKey,
      bucket: result.bucket,
      rows: result.rows,
      bytes: result.bytes,
      durationMs,
      rowsPerSecond: durationMs > 0 ? Math.round((result.rows * 1000) / durationMs) : undefined,
    });
    this.deps.metrics.exportCompleted(job.kind, job.format, durationMs, result.rows, result.bytes);
    await this.audit('completed', 'ok', {
      objectKey: result.objectKey,
      bucket: result.bucket,
      bytes: result.bytes,
      rows: result.rows,
      sha256: result.sha256,
      durationMs,
      attempt: job.attempts,
    });
    await this.notify('completed', async (owner) => {
      const ttl = this.deps.settings.linkTtlSeconds;
      const token = await createLinkToken(this.deps.linkSecret, { jobId: job.id, userId: owner }, ttl);
      return completedExportEmail({
        job,
        result,
        downloadUrl: downloadLink(this.deps.publicApiUrl, job.id, token),
        expiresAt: new Date(this.now() + ttl * 1000),
      });
    });
    return { status: 'completed', jobId: job.id, result };
  }

  private async cancelled(): Promise<ProcessOutcome> {
    const { job } = this;
    if (!(await this.deps.leases.markCancelled(job.id, this.owner))) {
      return { status: 'skipped', jobId: job.id, reason: 'lease_lost' };
    }
    this.log.info('export cancelled', { jobId: job.id });
    await discardObjects(this.deps, job, attemptObjects(job, this.deps.defaultBucket).keys, this.log);
    await this.audit('cancelled', 'ok', { attempt: job.attempts });
    return { status: 'cancelled', jobId: job.id };
  }

  /** Releases and rethrows a retryable error, or records the failure (see `processExportJob`). */
  private async failed(thrown: unknown): Promise<ProcessOutcome> {
    const { job, input } = this;
    const error = toJobError(thrown);
    const lastReceive = input.receiveCount >= input.maxReceiveCount;
    if (error.retryable && !lastReceive) {
      this.log.warn('retryable failure; lease released for redelivery', {
        jobId: job.id,
        error,
        detail: errorDetail(thrown),
        receiveCount: input.receiveCount,
        maxReceiveCount: input.maxReceiveCount,
      });
      try {
        await this.deps.leases.release(job.id, this.owner);
      } catch (releaseError) {
        // The lease then expires by itself before the redelivery (visibility timeout ≫ lease).
        this.log.warn('could not release the lease', { jobId: job.id, detail: errorDetail(releaseError) });
      }
      throw thrown;
    }
    if (await this.deps.leases.fail(job.id, this.owner, error)) {
      this.log.error('export failed', {
        jobId: job.id,
        error,
        receiveCount: input.receiveCount,
        detail: errorDetail(thrown),
      });
      await reportJobFailure(this.deps, job, error, { receiveCount: input.receiveCount }, this.log);
    }
    // Last receive of a retryable failure: the message goes on to the dead-letter queue.
    if (error.retryable) throw thrown;
    return { status: 'failed', jobId: job.id, error };
  }

  private audit(action: AuditAction, status: string, details: Record<string, unknown>): Promise<void> {
    return auditJob(this.deps, this.job, action, status, details, this.log);
  }

  private notify(
    kind: 'completed' | 'failed',
    content: (owner: string) => Promise<EmailContent>,
  ): Promise<void> {
    return sendOutcomeEmail(this.deps, this.job, kind, content, this.log);
  }
}

/** Audit rows are written by the system (user null); a lost audit row must not undo an outcome. */
async function auditJob(
  deps: Pick<ProcessExportJobDeps, 'audit'>,
  job: ExportJob,
  action: AuditAction,
  status: string,
  details: Record<string, unknown>,
  log: WorkerLog,
): Promise<void> {
  try {
    await deps.audit.record({
      userId: null,
      exportType: job.kind,
      action,
      status,
      jobId: job.id,
      details: { requestedBy: job.requestedBy, ...details },
    });
  } catch (error) {
    log.error('audit record failed', { jobId: job.id, action, detail: errorDetail(error) });
  }
}

/**
 * Sends the one email of an outcome (message id {@link emailMessageId}). Call it only after
 * winning the outcome's conditional update, so no other worker or sweep sends it too; a failure
 * to send is logged, never turned into a second outcome.
 */
async function sendOutcomeEmail(
  deps: Pick<ProcessExportJobDeps, 'mailer'>,
  job: ExportJob,
  kind: 'completed' | 'failed',
  content: (owner: string) => Promise<EmailContent>,
  log: WorkerLog,
): Promise<void> {
  // A job without requester (the scheduler's runs) has nobody to tell, and nobody a link could be for.
  const to = job.requesterEmail;
  const owner = job.requestedBy;
  if (!to || owner === null) return;
  try {
    await deps.mailer.send({ to, messageId: emailMessageId(job, kind), ...(await content(owner)) });
  } catch (error) {
    log.error('email not sent', { jobId: job.id, email: kind, detail: errorDetail(error) });
  }
}

/**
 * Removes objects that are no job's result (best effort: a failure is logged, and the bucket's
 * lifecycle rule removes whatever is left).
 */
async function discardObjects(
  deps: Pick<ProcessExportJobDeps, 'storeFor' | 'defaultBucket'>,
  job: ExportJob,
  keys: readonly string[],
  log: WorkerLog,
): Promise<void> {
  if (keys.length === 0) return;
  const store = deps.storeFor(deps.defaultBucket);
  for (const key of keys) {
    try {
      await store.delete(key);
    } catch (error) {
      log.warn('could not remove an object that is no result', {
        jobId: job.id,
        key,
        detail: errorDetail(error),
      });
    }
  }
}

/**
 * Reports a failure that the caller recorded itself, i.e. whose conditional `processing` →
 * `failed` update it won (the worker's `fail`, the sweeper's `failAbandoned`): the `ExportsFailed`
 * metric, the `failed` audit row, the one failure email, and the removal of every object its
 * attempts left, as the worker reports its own.
 * `details` are added to the audit row (e.g. `receiveCount`).
 */
export async function reportJobFailure(
  deps: Pick<ProcessExportJobDeps, 'audit' | 'mailer' | 'metrics' | 'storeFor' | 'defaultBucket'>,
  job: ExportJob,
  error: JobError,
  details: Record<string, unknown>,
  log: WorkerLog = SILENT,
): Promise<void> {
  deps.metrics.exportFailed(job.kind, job.format);
  // A failed job keeps no object: any attempt may have completed an upload before it died.
  await discardObjects(deps, job, attemptObjects(job, deps.defaultBucket).keys, log);
  await auditJob(deps, job, 'failed', 'error', { error, attempt: job.attempts, ...details }, log);
  await sendOutcomeEmail(deps, job, 'failed', async () => failedExportEmail({ job, error }), log);
}

/**
 * Heartbeat of a running export: every `heartbeatMs` it writes the latest progress (monotonic,
 * with an ETA) and renews the lease in one statement, learning whether cancellation was requested;
 * it also watches the time budget. It stops the export through an AbortSignal whose reason says why.
 */
class JobMonitor {
  private readonly controller = new AbortController();
  private readonly stopper = new AbortController();
  private latest: ExportProgress | undefined;
  private written: JobProgress | undefined;
  private readonly loop: Promise<void>;
  private readonly settings: ReturnType<typeof settingsOf>;
  private readonly now: () => number;

  constructor(
    private readonly deps: ProcessExportJobDeps,
    private readonly input: ProcessExportJobInput,
    private readonly job: ExportJob,
    private readonly owner: string,
    private readonly log: WorkerLog,
    private readonly startedAt: number,
  ) {
    this.settings = settingsOf(deps);
    this.now = deps.now ?? Date.now;
    this.loop = this.beatUntilStopped();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the monitor stopped the export, if it did. */
  get reason(): unknown {
    return this.controller.signal.aborted ? this.controller.signal.reason : undefined;
  }

  onProgress(progress: ExportProgress): void {
    this.latest = progress;
    this.checkBudget();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private abort(reason: Error) {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  private async beatUntilStopped(): Promise<void> {
    while (!this.stopper.signal.aborted) {
      try {
        await sleep(this.settings.heartbeatMs, undefined, { signal: this.stopper.signal });
      } catch {
        return;
      }
      await this.beat();
    }
  }

  private async beat(): Promise<void> {
    const progress = this.progress();
    try {
      const state = await this.deps.leases.recordProgress(
        this.job.id,
        this.owner,
        progress,
        this.deps.settings.leaseSeconds,
      );
      this.written = progress;
      if (!state.held) this.abort(new LeaseLostError());
      else if (state.cancelRequested) this.abort(new ExportCancelledError());
    } catch (error) {
      // A missed heartbeat is harmless while the lease lasts; the export itself reports real outages.
      this.log.warn('progress heartbeat failed', { jobId: this.job.id, detail: errorDetail(error) });
    }
    this.checkBudget();
  }

  /** The latest progress, never below what was already written, with an ETA from the rate so far. */
  private progress(): JobProgress {
    const p = this.latest;
    const before = this.written;
    const rowsTotal = p?.rowsTotal ?? before?.rowsTotal;
    let rowsExported = Math.max(p?.rowsExported ?? 0, before?.rowsExported ?? 0);
    if (rowsTotal !== undefined) rowsExported = Math.min(rowsExported, rowsTotal);
    const elapsed = this.now() - this.startedAt;
    const eta =
      rowsTotal !== undefined && rowsExported > 0 && elapsed > 0
        ? Math.ceil(((rowsTotal - rowsExported) * elapsed) / rowsExported / 1000)
        : undefined;
    return {
      rowsExported,
      bytesWritten: Math.max(p?.bytesWritten ?? 0, before?.bytesWritten ?? 0),
      tablesDone: Math.max(p?.tablesDone ?? 0, before?.tablesDone ?? 0),
      tablesTotal: p?.tablesTotal ?? before?.tablesTotal ?? 0,
      // 100 is written by `complete` only, with the result.
      percent: Math.min(99, Math.max(p?.percent ?? 0, before?.percent ?? 0)),
      ...(rowsTotal !== undefined && { rowsTotal }),
      ...(eta !== undefined && { etaSeconds: eta }),
    };
  }

  private checkBudget(): void {
    if (this.controller.signal.aborted) return;
    const remaining = this.input.remainingTimeMs();
    const margin = this.settings.safetyMarginMs;
    if (remaining <= margin) {
      this.abort(
        new TimeBudgetExceededError(`stopped with ${Math.round(remaining / 1000)} s left in the invocation`),
      );
      return;
    }
    const p = this.latest;
    const elapsed = this.now() - this.startedAt;
    if (!p || elapsed < this.settings.rateSampleMs || p.rowsExported <= 0 || p.rowsExported >= p.rowsTotal)
      return;
    const etaMs = ((p.rowsTotal - p.rowsExported) * elapsed) / p.rowsExported;
    if (etaMs > remaining - margin) {
      const rate = Math.round((p.rowsExported * 1000) / elapsed);
      this.abort(
        new TimeBudgetExceededError(
          `${p.rowsTotal - p.rowsExported} rows left at ${rate} rows/s need ${Math.round(etaMs / 1000)} s, ` +
            `but only ${Math.round((remaining - margin) / 1000)} s remain in this invocation`,
        ),
      );
    }
  }
}

interface ExportTarget {
  readonly plan: ExportPlan;
  readonly bucket: string;
}

const UserJobOptions = z.object({
  userId: UuidSchema,
  formulaGuard: z.optional(z.boolean()),
});

const BulkJobOptions = z.object({
  columns: z.optional(z.record(z.string(), z.array(z.string()))),
  formulaGuard: z.optional(z.boolean()),
});

/**
 * Each attempt of an API job writes its own object (`exports/{jobId}/{attempt}/…`), so the object
 * the winning completion records can only hold that attempt's bytes: a worker that lost its lease
 * and finishes its upload late writes beside it, never over it. Scheduled jobs write their
 * catalogue destination instead (a rerun replaces it by contract); their downloads check the
 * recorded entity tag.
 */
const attemptPrefix = (job: Pick<ExportJob, 'id' | 'attempts'>) => `exports/${job.id}/${job.attempts}`;

/**
 * The objects attempts `1..job.attempts` of a job wrote or may have written, except `keep`: what
 * a completion (older attempts), a failure or a cancellation (all) removes. Empty for scheduled
 * jobs, whose one destination key may hold an earlier run's good object.
 */
export function attemptObjects(
  job: ExportJob,
  defaultBucket: string,
  keep?: string,
): { readonly bucket: string; readonly keys: readonly string[] } {
  if (job.kind === 'scheduled') return { bucket: defaultBucket, keys: [] };
  const keys: string[] = [];
  for (let attempt = 1; attempt <= job.attempts; attempt++) {
    let target: ExportTarget;
    try {
      target = planFor({ ...job, attempts: attempt }, defaultBucket);
    } catch {
      return { bucket: defaultBucket, keys: [] };
    }
    const { plan } = target;
    const { extension } = objectTypeFor(
      plan.format,
      plan.compression,
      layoutFor(plan.format, plan.sections.length),
    );
    const key = `${plan.keyBase}.${extension}`;
    if (key !== keep) keys.push(key);
  }
  return { bucket: defaultBucket, keys };
}

/** `2024-05-01`: the UTC day a job was created, in download file names. */
const day = (date: Date) => date.toISOString().slice(0, 10);

/**
 * The export plan of a job, rebuilt from what the job row stores and re-checked against the
 * current catalogue (a table or schedule may have gone since the job was queued):
 * - bulk: `tables`, `filters` and `options.columns` / `options.formulaGuard` as the API stored them;
 * - user: `options.userId` (and `options.formulaGuard`, default on);
 * - scheduled: `schedule_name` and `scheduled_for` through the schedule catalogue.
 * @throws ExportError (not retryable) when the job can no longer be exported.
 */
export function planFor(job: ExportJob, defaultBucket: string): ExportTarget {
  switch (job.kind) {
    case 'bulk': {
      const options = parseJobOptions(BulkJobOptions, job.options);
      const spec = parseBulkExportRequest({
        tables: job.tables,
        filters: job.filters,
        ...(options.columns && { columns: options.columns }),
        format: job.format,
        compression: job.compression,
        csv: { formulaGuard: options.formulaGuard ?? false },
      });
      const name = spec.tables.length === 1 ? spec.tables[0]! : 'bulk_export';
      return {
        bucket: defaultBucket,
        plan: {
          sections: bulkSources(spec),
          format: spec.format,
          compression: spec.compression,
          formulaGuard: spec.formulaGuard,
          keyBase: `${attemptPrefix(job)}/${name}`,
          fileName: `${name}_${day(job.createdAt)}`,
        },
      };
    }
    case 'user': {
      const options = parseJobOptions(UserJobOptions, job.options);
      return {
        bucket: defaultBucket,
        plan: {
          sections: userExportSections(options.userId),
          format: job.format,
          compression: job.compression,
          formulaGuard: options.formulaGuard ?? true,
          keyBase: `${attemptPrefix(job)}/user_export`,
          fileName: `user_export_${day(job.createdAt)}`,
          rootElement: 'userExport',
        },
      };
    }
    case 'scheduled': {
      if (!job.scheduleName || !job.scheduledFor)
        throw ValidationError.field('schedule', 'the job names no schedule slot');
      const def = getSchedule(job.scheduleName);
      const window = windowFor(def, job.scheduledFor);
      const sections = [def.source(window)];
      // The catalogue owns the key; the engine appends the extension, so it is cut off again here.
      const { extension } = objectTypeFor(
        def.format,
        def.compression,
        layoutFor(def.format, sections.length),
      );
      const key = objectKeyFor(def, window, extension);
      const keyBase = key.slice(0, -(extension.length + 1));
      return {
        bucket: def.destination.bucket ?? defaultBucket,
        plan: {
          sections,
          format: def.format,
          compression: def.compression,
          formulaGuard: false,
          keyBase,
          fileName: keyBase.slice(keyBase.lastIndexOf('/') + 1),
        },
      };
    }
  }
}

function parseJobOptions<S extends Schema>(schema: S, options: unknown): z.output<S> {
  const result = z.safeParse(schema, options);
  if (!result.success) {
    throw new ValidationError(
      result.error.issues.map((issue) => ({
        field: ['options', ...issue.path].join('.'),
        message: issue.message,
      })),
    );
  }
  return result.data;
}

/**
 * The slot of a scheduled run: one job per schedule and UTC run date, keyed by midnight UTC of
 * that date, so the cron firing at 01:00 and an admin's run for the same date share one job and
 * one object. The exact scheduled time is kept in `options.scheduledTime`.
 */
export function scheduledJobInput(
  def: ScheduleDefinition,
  scheduledTime: Date,
  requester: { requestedBy: string | null; requesterEmail: string | null },
): ScheduledJobInput {
  const window: ScheduleWindow = windowFor(def, scheduledTime);
  return {
    schedule: def.name,
    scheduledFor: new Date(`${window.runDate}T00:00:00.000Z`),
    format: def.format,
    compression: def.compression,
    tables: [def.source(window).name],
    options: { scheduledTime: scheduledTime.toISOString() },
    requestedBy: requester.requestedBy,
    requesterEmail: requester.requesterEmail,
  };
}

export interface ScheduledRunRequest {
  /** A catalogue schedule name. */
  readonly schedule: string;
  /** Any instant on the run date (UTC) to run or backfill, e.g. `2024-05-01T00:00:00Z`. */
  readonly scheduledFor: Date;
  /** The admin's user id (JWT `sub`): the job's owner, who may download it and gets the email. */
  readonly requestedBy: string;
  readonly requesterEmail: string | null;
  /** Run again even when the date's run already completed (its object is then replaced). */
  readonly force: boolean;
}

/**
 * For `POST /schedules/{name}/run`: creates the job of a schedule's run date, or resets it to a
 * fresh `queued` run owned by the requesting admin. Without `force`, a failed or cancelled run is
 * reset but a completed one is refused; a queued or running job is returned unchanged. The caller
 * then enqueues `{jobId: job.id}` (a duplicate message for a queued or running job is harmless).
 * A rerun writes the same object key, so the date keeps one object and one completed job.
 *
 * @throws NotFoundError for an unknown schedule (404); ConflictError when the date's run already
 * completed and `force` is false (409, `details.jobId`).
 */
export async function requestScheduledRun(
  deps: { readonly leases: JobLeases },
  request: ScheduledRunRequest,
): Promise<ExportJob> {
  const def = getSchedule(request.schedule);
  const slot = scheduledJobInput(def, request.scheduledFor, request);
  const resettable: JobStatus[] = request.force
    ? ['completed', 'failed', 'cancelled']
    : ['failed', 'cancelled'];
  const { job, outcome } = await deps.leases.resetScheduledJob(slot, resettable);
  if (outcome === 'unchanged' && job.status === 'completed') {
    throw new ConflictError(
      `the ${def.name} run for ${day(slot.scheduledFor)} already completed; force a rerun to replace it`,
      {
        jobId: job.id,
      },
    );
  }
  return job;
}

/** The emailed link: the API's download route, which mints a fresh presigned URL when clicked. */
export function downloadLink(publicApiUrl: string, jobId: string, token: string): string {
  return `${publicApiUrl.replace(/\/+$/, '')}/api/export/jobs/${encodeURIComponent(jobId)}/download?token=${encodeURIComponent(token)}`;
}

/**
 * Mailer idempotency key of an outcome email: `{jobId}:completed` / `{jobId}:failed`, plus
 * `:run-{n}` for an admin's rerun of a scheduled date (so the rerun's email is a new message).
 */
export function emailMessageId(
  job: Pick<ExportJob, 'id' | 'options'>,
  outcome: 'completed' | 'failed',
): string {
  const run = Number(job.options.run ?? 1);
  return `${job.id}:${outcome}${Number.isInteger(run) && run > 1 ? `:run-${run}` : ''}`;
}

/**
 * The error as stored on the job: an owner-facing code and its fixed message (see
 * `FAILURE_REASONS`); anything not raised on purpose is assumed transient. The internal text goes
 * to the log only (see {@link errorDetail}).
 */
export function toJobError(error: unknown): JobError {
  if (error instanceof ExportError) return jobFailure(error.code, error.retryable);
  return jobFailure('internal_error', true);
}

/** What went wrong, for the log: the error's own text and that of its cause. Never shown to owners. */
export function errorDetail(error: unknown): { message: string; cause?: string } {
  const text = (e: unknown) => truncate(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
  const cause = error instanceof Error ? error.cause : undefined;
  return { message: text(error), ...(cause !== undefined && { cause: text(cause) }) };
}

const truncate = (text: string) => (text.length > 500 ? `${text.slice(0, 497)}...` : text);
