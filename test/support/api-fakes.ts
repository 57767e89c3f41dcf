import { randomUUID } from 'node:crypto';
import { BearerTokenVerifier } from '../../functions/domain/access/auth.js';
import {
  decide,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
  type RateLimitState,
  windowState,
} from '../../functions/domain/access/rate-limit.js';
import { ConflictError, DependencyError } from '../../functions/domain/errors.js';
import type { ExportJob, JobError } from '../../functions/domain/jobs/export-job.js';
import {
  type CreateJobResult,
  decodeCursor,
  type ExportJobs,
  encodeCursor,
  type IdempotentJob,
  type JobListQuery,
  type JobMetrics,
  type JobPage,
  type MetricsBucket,
  type NewExportJob,
} from '../../functions/domain/jobs/export-jobs.js';
import type { ExportQueue, ExportQueueMessage } from '../../functions/domain/jobs/export-queue.js';
import type { ApiDeps } from '../../functions/wiring/api-deps.js';
import { TEST_JWT_SECRET, TEST_LINK_SECRET } from './api-events.js';
import {
  FixedResolver,
  InMemoryWebhookDeliveries,
  InMemoryWebhookStore,
  PlainSecretBox,
  RecordingWebhookQueue,
} from './webhook-fakes.js';
import {
  FakeExportDatabase,
  InMemoryJobLeases,
  InMemoryObjectStore,
  jobFixture,
  RecordingAuditLog,
} from './worker-fakes.js';

/**
 * ExportJobs in memory, with the Postgres adapter's idempotency, ordering, cancel and metrics
 * rules; held to `PostgresExportJobs` by `test/integration/contracts/export-jobs.test.ts`. The
 * request hash stays inside, as the adapter shows it only through `findByIdempotencyKey`.
 */
export class InMemoryExportJobs implements ExportJobs {
  readonly jobs = new Map<string, IdempotentJob>();
  private tick = 0;

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Stores a job as it is (tests arrange jobs in any state). */
  put(overrides: Partial<ExportJob> = {}, requestHash: string | null = null): ExportJob {
    const job = jobFixture(overrides);
    this.jobs.set(job.id, { ...job, requestHash });
    return job;
  }

  async create(input: NewExportJob): Promise<CreateJobResult> {
    if (input.idempotencyKey) {
      // Looked up without an await before the insert, so concurrent retries see each other's job
      // as they do through the unique index.
      const existing = this.byKey(input.requestedBy, input.idempotencyKey);
      if (existing) {
        if (existing.requestHash !== (input.requestHash ?? null))
          throw new ConflictError('key reused', { jobId: existing.id });
        return { job: withoutHash(existing), created: false };
      }
    }
    // Distinct, increasing creation times, like rows inserted one after another.
    const createdAt = new Date(this.now().getTime() + this.tick++);
    const job: IdempotentJob = {
      ...jobFixture({
        spec: input.spec,
        requestedBy: input.requestedBy,
        requesterEmail: input.requesterEmail,
        idempotencyKey: input.idempotencyKey ?? null,
        createdAt,
        updatedAt: createdAt,
      }),
      id: randomUUID(),
      requestHash: input.requestHash ?? null,
    };
    this.jobs.set(job.id, job);
    return { job: withoutHash(job), created: true };
  }

  async findByIdempotencyKey(requestedBy: string, key: string): Promise<IdempotentJob | null> {
    return this.byKey(requestedBy, key) ?? null;
  }

  private byKey(requestedBy: string, key: string): IdempotentJob | undefined {
    return [...this.jobs.values()].find((j) => j.requestedBy === requestedBy && j.idempotencyKey === key);
  }

  async get(id: string): Promise<ExportJob | null> {
    const job = this.jobs.get(id);
    return job ? withoutHash(job) : null;
  }

  async list(query: JobListQuery): Promise<JobPage> {
    const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    const key = (j: ExportJob) => `${j.createdAt.toISOString()}|${j.id}`;
    const all = [...this.jobs.values()]
      .filter((j) => query.requestedBy === undefined || j.requestedBy === query.requestedBy)
      .filter((j) => query.status === undefined || j.status === query.status)
      .sort((a, b) => (key(a) < key(b) ? 1 : -1))
      .filter((j) => !cursor || key(j) < `${cursor.createdAt}|${cursor.id}`);
    const page = all.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      jobs: page.map(withoutHash),
      nextCursor:
        all.length > query.limit && last
          ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id })
          : null,
    };
  }

  async requestCancel(id: string): Promise<ExportJob | null> {
    const job = this.jobs.get(id);
    if (!job) return null;
    if (job.status !== 'queued' && job.status !== 'processing')
      throw new ConflictError('finished', { status: job.status });
    const now = this.now();
    const next: IdempotentJob = {
      ...job,
      cancelRequested: true,
      updatedAt: now,
      ...(job.status === 'queued' && { status: 'cancelled' as const, completedAt: now }),
    };
    this.jobs.set(id, next);
    return withoutHash(next);
  }

  async markEnqueueFailed(id: string, error: JobError): Promise<void> {
    const job = this.jobs.get(id);
    if (job?.status !== 'queued') return;
    const now = this.now();
    this.jobs.set(id, {
      ...job,
      status: 'failed',
      error,
      idempotencyKey: null,
      completedAt: now,
      updatedAt: now,
    });
  }

  async metrics(since: Date): Promise<JobMetrics> {
    const jobs = [...this.jobs.values()].filter((j) => j.createdAt >= since);
    const groups = (key: (job: ExportJob) => string) => {
      const names = [...new Set(jobs.map(key))];
      return Object.fromEntries(
        names.map((name) => [name, metricsBucket(jobs.filter((j) => key(j) === name))]),
      );
    };
    return {
      since: since.toISOString(),
      ...metricsBucket(jobs),
      byKind: groups((j) => j.kind),
      byFormat: groups((j) => j.format),
    };
  }
}

const withoutHash = ({ requestHash: _, ...job }: IdempotentJob): ExportJob => job;

/** One bucket of `GET /metrics`, computed as the adapter's SQL does. */
function metricsBucket(jobs: readonly ExportJob[]): MetricsBucket {
  const count = (status: string) => jobs.filter((j) => j.status === status).length;
  const durations = jobs
    .filter((j) => j.status === 'completed' && j.startedAt && j.completedAt)
    .map((j) => j.completedAt!.getTime() - j.startedAt!.getTime())
    .sort((a, b) => a - b);
  const round = (value: number | null) => (value === null ? null : Math.round(value));
  return {
    total: jobs.length,
    succeeded: count('completed'),
    failed: count('failed'),
    cancelled: count('cancelled'),
    queued: count('queued'),
    processing: count('processing'),
    durationMs: {
      avg: round(durations.length ? durations.reduce((a, b) => a + b, 0) / durations.length : null),
      p50: round(percentileCont(durations, 0.5)),
      p95: round(percentileCont(durations, 0.95)),
    },
    rows: jobs.reduce((n, j) => n + j.rowsExported, 0),
    bytes: jobs.reduce((n, j) => n + j.bytesWritten, 0),
  };
}

/** Postgres's `percentile_cont`: linear interpolation between the two nearest of the sorted values. */
function percentileCont(sorted: readonly number[], fraction: number): number | null {
  if (sorted.length === 0) return null;
  const position = fraction * (sorted.length - 1);
  const below = sorted[Math.floor(position)]!;
  const above = sorted[Math.ceil(position)]!;
  return below + (above - below) * (position - Math.floor(position));
}

/**
 * The sliding window in memory, with the same arithmetic as the Postgres adapter; held to
 * `PostgresRateLimiter` by `test/integration/contracts/rate-limiter.test.ts`.
 */
export class InMemoryRateLimiter implements RateLimiter {
  readonly events = new Map<string, Date[]>();

  constructor(
    private readonly policy: RateLimitPolicy = { max: 5, windowSeconds: 900 },
    private readonly now: () => Date = () => new Date(),
  ) {}

  private inWindow(userId: string, now: Date): Date[] {
    const start = now.getTime() - this.policy.windowSeconds * 1000;
    return (this.events.get(userId) ?? []).filter((t) => t.getTime() > start);
  }

  async consume(userId: string): Promise<RateLimitDecision> {
    const now = this.now();
    const times = this.inWindow(userId, now);
    const decision = decide(this.policy, now, times);
    if (decision.allowed) this.events.set(userId, [...times, now]);
    return decision;
  }

  async peek(userId: string): Promise<RateLimitState> {
    const now = this.now();
    return windowState(this.policy, now, this.inWindow(userId, now));
  }
}

/**
 * A queue that records the messages its consumer would receive, or refuses them while
 * `unavailable` is set, as `SqsExportQueue` does when SQS cannot be reached. Held to it by
 * `test/integration/contracts/export-queue.test.ts`.
 */
export class RecordingQueue implements ExportQueue {
  readonly messages: ExportQueueMessage[] = [];
  unavailable = false;

  async enqueue(message: ExportQueueMessage): Promise<void> {
    if (this.unavailable) throw new DependencyError('export queue unavailable');
    // The consumer receives the message's JSON, not the sender's object.
    this.messages.push(JSON.parse(JSON.stringify(message)) as ExportQueueMessage);
  }
}

export interface FakeApiDeps extends ApiDeps {
  readonly jobs: InMemoryExportJobs;
  readonly leases: InMemoryJobLeases;
  readonly rateLimiter: InMemoryRateLimiter;
  readonly audit: RecordingAuditLog;
  readonly queue: RecordingQueue;
  readonly database: FakeExportDatabase;
  readonly store: InMemoryObjectStore;
}

/** ApiDeps of in-memory fakes, for handler unit tests. */
export function fakeApiDeps(
  options: {
    now?: () => Date;
    rateLimit?: RateLimitPolicy;
    inlineLimitBytes?: number;
    database?: FakeExportDatabase;
    maxBodyBytes?: number;
  } = {},
): FakeApiDeps {
  const now = options.now ?? (() => new Date());
  const store = new InMemoryObjectStore();
  const webhookDeliveries = new InMemoryWebhookDeliveries();
  const settings = {
    bucket: 'export-bucket',
    publicApiUrl: 'https://api.example.com/prod',
    inlineLimitBytes: options.inlineLimitBytes ?? 1024 * 1024,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024,
    downloadUrlTtlSeconds: 300,
  };
  return {
    ...settings,
    tokens: new BearerTokenVerifier({ secret: TEST_JWT_SECRET }),
    jobs: new InMemoryExportJobs(now),
    leases: new InMemoryJobLeases(),
    rateLimiter: new InMemoryRateLimiter(options.rateLimit, now),
    audit: new RecordingAuditLog(),
    queue: new RecordingQueue(),
    database: options.database ?? new FakeExportDatabase({ rows: { profile: 1 } }),
    store,
    storeFor: () => store,
    linkSecret: async () => TEST_LINK_SECRET,
    now,
    webhooks: new InMemoryWebhookStore(webhookDeliveries),
    webhookDeliveries,
    webhookQueue: new RecordingWebhookQueue(),
    secretBox: async () => new PlainSecretBox(),
    resolver: new FixedResolver({ 'hooks.example.com': [{ address: '93.184.215.14', family: 4 }] }),
    webhookUrlPolicy: { allowLoopback: false },
  };
}
