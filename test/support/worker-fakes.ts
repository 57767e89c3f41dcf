import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEntry, AuditLog } from '../../functions/domain/access/audit-log.js';
import { attachmentDisposition } from '../../functions/domain/engine/content-disposition.js';
import type { ExportFormat } from '../../functions/domain/engine/export-format.js';
import type { ExportSource } from '../../functions/domain/engine/export-source.js';
import {
  MULTIPART_LIMITS,
  type MultipartUploads,
  type UploadedPart,
} from '../../functions/domain/engine/multipart-uploads.js';
import type {
  ExportDatabase,
  ObjectStore,
  Snapshot,
  StoredObject,
  UploadRequest,
} from '../../functions/domain/engine/ports.js';
import { ExportError } from '../../functions/domain/errors.js';
import {
  type ExportJob,
  FINISHED_STATUSES,
  type JobError,
  type JobKind,
  type JobProgress,
  type JobResult,
  type JobStatus,
} from '../../functions/domain/jobs/export-job.js';
import type {
  ClaimSkipped,
  ExpiredLeaseCriteria,
  JobLeases,
  LeaseState,
  ScheduledJobInput,
  ScheduledRunOutcome,
  StaleQueuedCriteria,
} from '../../functions/domain/jobs/job-leases.js';
import { specColumns } from '../../functions/domain/jobs/job-spec.js';
import type { MetricsSink } from '../../functions/domain/metrics-sink.js';
import type { EmailMessage, Mailer } from '../../functions/domain/notifications/mailer.js';
import { specOfKind } from './job-specs.js';

/** The summary columns a row derives from its spec (without `filters`, which ExportJob does not carry). */
export function summaryOf(spec: ExportJob['spec']) {
  const { filters: _filters, ...columns } = specColumns(spec);
  return columns;
}

/**
 * A queued job with sensible defaults: a bulk CSV export of `users`. Its summary columns (`kind`,
 * `tables`, `format`, `compression`) follow its `spec`, as a stored row's do; give a `spec` to
 * change what it exports, or only `kind` for that kind's default spec.
 */
export function jobFixture(overrides: Partial<ExportJob> = {}): ExportJob {
  const now = new Date('2024-05-01T10:00:00Z');
  const spec = overrides.spec ?? specOfKind(overrides.kind ?? 'bulk');
  return {
    id: randomUUID(),
    spec,
    ...summaryOf(spec),
    options: {},
    requestedBy: 'b1c8f0a2-0c4e-4f55-8a57-0a6f3c1d2e3f',
    requesterEmail: 'admin@example.com',
    status: 'queued',
    attempts: 0,
    leaseUntil: null,
    cancelRequested: false,
    rowsExported: 0,
    bytesWritten: 0,
    progress: {},
    result: null,
    error: null,
    scheduleName: null,
    scheduledFor: null,
    idempotencyKey: null,
    createdAt: now,
    startedAt: null,
    completedAt: null,
    updatedAt: now,
    ...overrides,
  };
}

interface StoredJob {
  job: ExportJob;
  leaseOwner: string | null;
}

/**
 * JobLeases with the Postgres adapter's conditional semantics, in memory; keeps every progress
 * write. Held to `PostgresJobLeases` by `test/integration/contracts/job-leases.test.ts`. Like one
 * SQL statement, each method reads the clock once, so the times it writes agree with each other.
 */
export class InMemoryJobLeases implements JobLeases {
  readonly jobs = new Map<string, StoredJob>();
  readonly progressHistory = new Map<string, JobProgress[]>();
  completions = 0;

  add(job: ExportJob, leaseOwner: string | null = null): ExportJob {
    this.jobs.set(job.id, { job, leaseOwner });
    return job;
  }

  get(jobId: string): ExportJob {
    const stored = this.jobs.get(jobId);
    if (!stored) throw new Error(`no job ${jobId}`);
    return stored.job;
  }

  requestCancel(jobId: string): void {
    this.patch(jobId, { cancelRequested: true });
  }

  async claim(jobId: string, owner: string, leaseSeconds: number): Promise<ExportJob | ClaimSkipped> {
    const stored = this.jobs.get(jobId);
    if (!stored) return { skipped: 'not_found' };
    const { job } = stored;
    const now = new Date();
    const expired = job.status === 'processing' && (!job.leaseUntil || job.leaseUntil < now);
    if (job.status !== 'queued' && !expired) {
      return { skipped: FINISHED_STATUSES.has(job.status) ? 'finished' : 'leased', status: job.status };
    }
    stored.leaseOwner = owner;
    return this.patch(
      jobId,
      {
        status: 'processing',
        attempts: job.attempts + 1,
        leaseUntil: secondsAfter(now, leaseSeconds),
        startedAt: now,
        progress: {},
        rowsExported: 0,
        bytesWritten: 0,
      },
      now,
    );
  }

  async extendLease(jobId: string, owner: string, leaseSeconds: number): Promise<LeaseState> {
    if (!this.holds(jobId, owner)) return { held: false, cancelRequested: false };
    const now = new Date();
    const job = this.patch(jobId, { leaseUntil: secondsAfter(now, leaseSeconds) }, now);
    return { held: true, cancelRequested: job.cancelRequested };
  }

  async recordProgress(
    jobId: string,
    owner: string,
    progress: JobProgress,
    leaseSeconds?: number,
  ): Promise<LeaseState> {
    if (!this.holds(jobId, owner)) return { held: false, cancelRequested: false };
    this.history(jobId).push(progress);
    const now = new Date();
    const job = this.patch(
      jobId,
      {
        progress,
        rowsExported: progress.rowsExported,
        bytesWritten: progress.bytesWritten,
        ...(leaseSeconds !== undefined && { leaseUntil: secondsAfter(now, leaseSeconds) }),
      },
      now,
    );
    return { held: true, cancelRequested: job.cancelRequested };
  }

  async complete(jobId: string, owner: string, result: JobResult, progress: JobProgress): Promise<boolean> {
    if (!this.holds(jobId, owner)) return false;
    this.completions++;
    this.history(jobId).push(progress);
    this.finish(jobId, {
      status: 'completed',
      result,
      progress,
      rowsExported: result.rows,
      bytesWritten: result.bytes,
      // An error an earlier attempt left does not outlive the success.
      error: null,
    });
    return true;
  }

  async fail(jobId: string, owner: string, error: JobError): Promise<boolean> {
    if (!this.holds(jobId, owner)) return false;
    this.finish(jobId, { status: 'failed', error });
    return true;
  }

  async release(jobId: string, owner: string): Promise<boolean> {
    if (!this.holds(jobId, owner)) return false;
    this.jobs.get(jobId)!.leaseOwner = null;
    this.patch(jobId, { status: 'queued', leaseUntil: null });
    return true;
  }

  async isCancelRequested(jobId: string): Promise<boolean> {
    return this.jobs.get(jobId)?.job.cancelRequested ?? false;
  }

  async markCancelled(jobId: string, owner: string): Promise<boolean> {
    if (!this.holds(jobId, owner)) return false;
    this.finish(jobId, { status: 'cancelled' });
    return true;
  }

  async ensureScheduledJob(input: ScheduledJobInput): Promise<ExportJob> {
    return this.findSlot(input) ?? this.add(this.scheduledJob(input));
  }

  async resetScheduledJob(
    input: ScheduledJobInput,
    resettable: readonly JobStatus[],
  ): Promise<{ job: ExportJob; outcome: ScheduledRunOutcome }> {
    const existing = this.findSlot(input);
    if (!existing) return { job: this.add(this.scheduledJob(input)), outcome: 'created' };
    if (!resettable.includes(existing.status)) return { job: existing, outcome: 'unchanged' };
    this.jobs.get(existing.id)!.leaseOwner = null;
    const run = Number(existing.options.run ?? 1) + 1;
    const job = this.patch(existing.id, {
      status: 'queued',
      spec: input.spec,
      ...summaryOf(input.spec),
      options: { ...existing.options, run },
      requestedBy: input.requestedBy,
      requesterEmail: input.requesterEmail,
      attempts: 0,
      cancelRequested: false,
      leaseUntil: null,
      progress: {},
      rowsExported: 0,
      bytesWritten: 0,
      result: null,
      error: null,
      startedAt: null,
      completedAt: null,
    });
    return { job, outcome: 'reset' };
  }

  async touchStaleQueued(criteria: StaleQueuedCriteria): Promise<string[]> {
    return this.oldestFirst(
      (job) =>
        job.status === 'queued' &&
        job.updatedAt < (job.attempts === 0 ? criteria.unclaimedBefore : criteria.releasedBefore),
      criteria.limit,
    ).map((job) => this.patch(job.id, {}).id);
  }

  async touchExpiredLeases(criteria: ExpiredLeaseCriteria): Promise<string[]> {
    return this.oldestFirst(
      (job) =>
        this.leaseExpired(job, criteria.expiredBefore) &&
        (job.attempts < criteria.maxAttempts || job.cancelRequested),
      criteria.limit,
    ).map((job) => this.patch(job.id, {}).id);
  }

  async failAbandoned(criteria: ExpiredLeaseCriteria, error: JobError): Promise<ExportJob[]> {
    return this.oldestFirst(
      (job) =>
        this.leaseExpired(job, criteria.expiredBefore) &&
        job.attempts >= criteria.maxAttempts &&
        !job.cancelRequested,
      criteria.limit,
    ).map((job) => {
      this.finish(job.id, { status: 'failed', error });
      return this.get(job.id);
    });
  }

  /**
   * Makes the current lease look expired, as after a crashed worker. Only time passes: nothing
   * writes the row, so `updatedAt` stays.
   */
  expireLease(jobId: string): void {
    const stored = this.jobs.get(jobId)!;
    stored.job = { ...stored.job, leaseUntil: new Date(Date.now() - 1000) };
  }

  private leaseExpired(job: ExportJob, before: Date): boolean {
    return (
      job.status === 'processing' && (job.leaseUntil ?? job.updatedAt) < before && job.updatedAt < before
    );
  }

  private oldestFirst(match: (job: ExportJob) => boolean, limit: number): ExportJob[] {
    return [...this.jobs.values()]
      .map((s) => s.job)
      .filter(match)
      .sort((a, b) => a.updatedAt.getTime() - b.updatedAt.getTime())
      .slice(0, limit);
  }

  private findSlot(input: ScheduledJobInput): ExportJob | undefined {
    return [...this.jobs.values()]
      .map((s) => s.job)
      .find(
        (job) =>
          job.kind === 'scheduled' &&
          job.scheduleName === input.schedule &&
          job.scheduledFor?.getTime() === input.scheduledFor.getTime(),
      );
  }

  private scheduledJob(input: ScheduledJobInput): ExportJob {
    const now = new Date();
    return jobFixture({
      createdAt: now,
      updatedAt: now,
      spec: input.spec,
      requestedBy: input.requestedBy,
      requesterEmail: input.requesterEmail,
      scheduleName: input.schedule,
      scheduledFor: input.scheduledFor,
    });
  }

  private holds(jobId: string, owner: string): boolean {
    const stored = this.jobs.get(jobId);
    return !!stored && stored.job.status === 'processing' && stored.leaseOwner === owner;
  }

  private history(jobId: string): JobProgress[] {
    let list = this.progressHistory.get(jobId);
    if (!list) {
      list = [];
      this.progressHistory.set(jobId, list);
    }
    return list;
  }

  private finish(jobId: string, patch: Partial<ExportJob>) {
    this.jobs.get(jobId)!.leaseOwner = null;
    const now = new Date();
    this.patch(jobId, { ...patch, leaseUntil: null, completedAt: now }, now);
  }

  /** Changes the job as an UPDATE would: `updatedAt` becomes `now`. */
  patch(jobId: string, patch: Partial<ExportJob>, now = new Date()): ExportJob {
    const stored = this.jobs.get(jobId)!;
    stored.job = { ...stored.job, ...patch, updatedAt: now };
    return stored.job;
  }
}

const secondsAfter = (time: Date, seconds: number) => new Date(time.getTime() + seconds * 1000);

export interface FakeDatabaseOptions {
  /** Rows per source name. @default 100 */
  readonly rows?: Readonly<Record<string, number>>;
  /** Rows between pauses (`chunkDelayMs`); each row is a chunk of its own, as from Postgres. @default 10 */
  readonly rowsPerChunk?: number;
  /** Pause between chunks, to make exports take time. @default 0 */
  readonly chunkDelayMs?: number;
  /** Throw this error (once, then behave) after this many rows of the whole export. */
  readonly failAfterRows?: { readonly rows: number; readonly error: () => Error; readonly times?: number };
  /** Fails every snapshot with this error. */
  readonly unavailable?: () => Error;
  /** Row counts wait for this (a table locked by someone else, or a slow count). */
  readonly countGate?: Promise<void>;
}

/**
 * An ExportDatabase whose COPY output is synthetic CSV lines (one per row, `n,name-n`), so the
 * engine counts rows as for real COPY output. Records every statement and source it was given.
 */
export class FakeExportDatabase implements ExportDatabase {
  readonly statements: string[] = [];
  readonly sources: ExportSource[] = [];
  failuresLeft: number;

  constructor(private readonly options: FakeDatabaseOptions = {}) {
    this.failuresLeft = options.failAfterRows?.times ?? 1;
  }

  async withSnapshot<T>(work: (snapshot: Snapshot) => Promise<T>): Promise<T> {
    if (this.options.unavailable) throw this.options.unavailable();
    let exported = 0;
    const counts = this.options.rows ?? {};
    const snapshot: Snapshot = {
      startedAt: new Date('2024-05-01T10:00:00Z'),
      count: async (source) => {
        this.sources.push(source);
        await this.options.countGate;
        return counts[source.name] ?? 100;
      },
      // The fake's estimates are exact, and it has no keys to split tables by.
      estimate: async (source) => {
        this.sources.push(source);
        await this.options.countGate;
        return counts[source.name] ?? 100;
      },
      keyStats: async () => ({ min: null, max: null, histogram: [] }),
      keyAt: async () => null,
      copyOut: async (statement) => {
        this.statements.push(statement);
        const source =
          this.sources.find((s) => statement.includes(s.sql)) ?? this.sources[this.sources.length - 1];
        const total = (source && counts[source.name]) ?? 100;
        const perChunk = this.options.rowsPerChunk ?? 10;
        const { chunkDelayMs = 0, failAfterRows } = this.options;
        const self = this;
        // As Postgres does, a CSV COPY with HEADER starts with the header row.
        const header = /HEADER true/.test(statement);
        return Readable.from(
          (async function* () {
            if (header) yield Buffer.from('id,name\n');
            for (let row = 0; row < total; row += perChunk) {
              if (chunkDelayMs > 0) await sleep(chunkDelayMs);
              if (failAfterRows && exported >= failAfterRows.rows && self.failuresLeft > 0) {
                self.failuresLeft--;
                throw failAfterRows.error();
              }
              // One chunk per row, as Postgres sends one CopyData message per row.
              for (let i = row; i < Math.min(total, row + perChunk); i++) {
                exported++;
                yield Buffer.from(`${i},name-${i}\n`);
              }
            }
          })(),
          { objectMode: false },
        );
      },
    };
    return work(snapshot);
  }
}

/** S3's entity tag of a single-part object: the MD5 of its bytes. */
const etagOf = (body: Buffer) => createHash('md5').update(body).digest('hex');

/** What the in-memory store keeps of an object besides its bytes, as S3 keeps them. */
export interface StoredHeaders {
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** What a client gets by following a URL of {@link InMemoryObjectStore.presignDownload}. */
export type FakeDownload =
  | {
      readonly status: 200;
      readonly body: Buffer;
      readonly contentType?: string;
      readonly contentDisposition: string;
    }
  | { readonly status: 404 };

const FAKE_S3_ORIGIN = 'https://s3.example.com';

/**
 * An ObjectStore that keeps complete uploads in memory; a failed or aborted upload stores nothing.
 * Held to `S3ObjectStore` by `test/integration/contracts/object-store.test.ts`.
 */
export class InMemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  readonly headers = new Map<string, StoredHeaders>();
  /** Completed uploads per key: more than one means a second object version. */
  readonly puts = new Map<string, number>();
  aborted = 0;

  constructor(private readonly options: { fail?: () => Error } = {}) {}

  async upload(request: UploadRequest): Promise<StoredObject> {
    const parts: Buffer[] = [];
    try {
      for await (const chunk of request.body) {
        if (this.options.fail) throw this.options.fail();
        // A body may stream strings, which S3 stores as their UTF-8 bytes.
        parts.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
      }
    } catch (error) {
      this.aborted++;
      throw request.body.errored ?? error;
    }
    const body = Buffer.concat(parts);
    this.objects.set(request.key, body);
    this.headers.set(request.key, { contentType: request.contentType, metadata: { ...request.metadata } });
    this.puts.set(request.key, (this.puts.get(request.key) ?? 0) + 1);
    return { etag: etagOf(body) };
  }

  /** A URL of S3's presigned shape: the key as its path, the download's name and lifetime in its query. */
  async presignDownload(
    key: string,
    options: { expiresInSeconds: number; filename: string },
  ): Promise<string> {
    const query = new URLSearchParams({
      'X-Amz-Expires': String(options.expiresInSeconds),
      'response-content-disposition': attachmentDisposition(options.filename),
    });
    return `${FAKE_S3_ORIGIN}/${key.split('/').map(encodeURIComponent).join('/')}?${query}`;
  }

  /** Follows a URL of {@link presignDownload} as a browser would: the object as it is now. */
  download(url: string): FakeDownload {
    const parsed = new URL(url);
    const key = parsed.pathname.slice(1).split('/').map(decodeURIComponent).join('/');
    const body = parsed.origin === FAKE_S3_ORIGIN ? this.objects.get(key) : undefined;
    if (body === undefined) return { status: 404 };
    const contentType = this.headers.get(key)?.contentType;
    return {
      status: 200,
      body,
      ...(contentType !== undefined && { contentType }),
      contentDisposition: parsed.searchParams.get('response-content-disposition') ?? 'attachment',
    };
  }

  async head(key: string): Promise<StoredObject | undefined> {
    const body = this.objects.get(key);
    return body === undefined ? undefined : { etag: etagOf(body) };
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
    this.headers.delete(key);
  }
}

/**
 * A Mailer that records every send, or throws `fail()`. Unlike the outbox it keeps a second send
 * of one message id, as SES does, so tests can count sends. Held to `OutboxMailer` by
 * `test/integration/contracts/mailer.test.ts`.
 */
export class RecordingMailer implements Mailer {
  readonly sent: EmailMessage[] = [];
  constructor(private readonly fail?: () => Error) {}
  async send(message: EmailMessage): Promise<void> {
    if (this.fail) throw this.fail();
    this.sent.push(message);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value holds a NUL character, in a string or a key, which Postgres text and jsonb cannot store. */
function holdsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\0');
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, inner]) => key.includes('\0') || holdsNul(inner));
}

/**
 * An AuditLog that keeps its entries as the `export_audit_log` row reads back: no job is null, no
 * details are `{}`, details are their JSON, and what Postgres refuses (a job id that is not a
 * uuid, a NUL character) is refused as the adapter refuses it. Held to `PostgresAuditLog` by
 * `test/integration/contracts/audit-log.test.ts`.
 */
export class RecordingAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  async record(entry: AuditEntry): Promise<void> {
    const row: AuditEntry = {
      userId: entry.userId,
      exportType: entry.exportType,
      action: entry.action,
      status: entry.status,
      jobId: entry.jobId ?? null,
      details: JSON.parse(JSON.stringify(entry.details ?? {})) as Record<string, unknown>,
    };
    if ((typeof row.jobId === 'string' && !UUID.test(row.jobId)) || holdsNul(row)) {
      throw new ExportError(
        'invalid_parameters',
        'the database refused a value while writing the audit log',
        400,
      );
    }
    this.entries.push(row);
  }
  actions(jobId: string): string[] {
    return this.entries.filter((e) => e.jobId === jobId).map((e) => e.action);
  }
}

export class RecordingMetrics implements MetricsSink {
  readonly completed: {
    kind: JobKind;
    format: ExportFormat;
    durationMs: number;
    rows: number;
    bytes: number;
  }[] = [];
  readonly failed: { kind: JobKind; format: ExportFormat }[] = [];
  exportCompleted(
    kind: JobKind,
    format: ExportFormat,
    durationMs: number,
    rows: number,
    bytes: number,
  ): void {
    this.completed.push({ kind, format, durationMs, rows, bytes });
  }
  exportFailed(kind: JobKind, format: ExportFormat): void {
    this.failed.push({ kind, format });
  }
  readonly chunks: { format: ExportFormat; outcome: 'resumed' | 'failed' }[] = [];
  chunkOutcome(format: ExportFormat, outcome: 'resumed' | 'failed'): void {
    this.chunks.push({ format, outcome });
  }
}

/**
 * MultipartUploads in memory, held to the S3 adapter by `test/integration/contracts/multipart-uploads.test.ts`:
 * parts below S3's minimum (except the last) make `complete` fail as S3 does, and a completed
 * object's entity tag is S3's multipart form (`md5-of-part-md5s-N`).
 */
export class InMemoryMultipartUploads implements MultipartUploads {
  readonly objects = new Map<string, Buffer>();
  readonly open = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  private next = 0;

  async create(key: string): Promise<string> {
    const id = `upload-${++this.next}`;
    this.open.set(id, { key, parts: new Map() });
    return id;
  }

  async uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<UploadedPart> {
    const upload = this.upload(key, uploadId);
    upload.parts.set(partNumber, Buffer.from(body));
    return { partNumber, etag: `"${etagOf(body)}"` };
  }

  async complete(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<StoredObject> {
    const upload = this.upload(key, uploadId);
    const sorted = [...parts].sort((a, b) => a.partNumber - b.partNumber);
    const bodies = sorted.map((p) => {
      const body = upload.parts.get(p.partNumber);
      if (!body || `"${etagOf(body)}"` !== p.etag) throw new Error(`InvalidPart ${p.partNumber}`);
      return body;
    });
    bodies.forEach((body, i) => {
      if (i < bodies.length - 1 && body.length < MULTIPART_LIMITS.minPartBytes)
        throw new Error('EntityTooSmall');
    });
    this.objects.set(key, Buffer.concat(bodies));
    this.open.delete(uploadId);
    const digest = createHash('md5')
      .update(Buffer.concat(bodies.map((b) => createHash('md5').update(b).digest())))
      .digest('hex');
    return { etag: `${digest}-${bodies.length}` };
  }

  async abort(_key: string, uploadId: string): Promise<void> {
    this.open.delete(uploadId);
  }

  async read(key: string): Promise<AsyncIterable<Uint8Array>> {
    const object = this.objects.get(key);
    if (!object) throw new Error('NoSuchKey');
    // In pieces, as a network body arrives.
    return Readable.from(
      Array.from({ length: Math.ceil(object.length / 65_536) }, (_, i) =>
        object.subarray(i * 65_536, (i + 1) * 65_536),
      ),
    );
  }

  private upload(key: string, uploadId: string) {
    const upload = this.open.get(uploadId);
    if (!upload || upload.key !== key) throw new Error('NoSuchUpload');
    return upload;
  }
}
