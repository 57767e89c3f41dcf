import { SqsExportQueue } from '../adapters/sqs/sqs-export-queue.js';
import type { ExportQueue } from '../domain/jobs/export-queue.js';
import { type SweepResult, sweepStaleJobs } from '../domain/worker/sweep-stale-jobs.js';
import type { WorkerLog } from '../domain/worker-log.js';
import { exportQueueUrl, sqsClient } from '../platform/aws/sqs-client.js';
import { type Config, config } from '../platform/config.js';
import { once } from '../platform/once.js';
import { createWorkerRuntime, type WorkerRuntime, type WorkerRuntimeOverrides } from './worker-context.js';

/** One sweep of stale jobs; `now` defaults to the clock. */
export type Sweeper = (options?: { readonly now?: Date; readonly log?: WorkerLog }) => Promise<SweepResult>;

export interface SweeperSettings {
  /** `SWEEP_GRACE_SECONDS`. @default 300 */
  readonly graceSeconds?: number;
  /** `QUEUE_VISIBILITY_TIMEOUT_SECONDS`: when SQS redelivers a released job's message. @default 0 */
  readonly redeliveryDelaySeconds?: number;
  /** `NOTIFY_GRACE_SECONDS`: when an unsent outcome email or event is resent. @default 60 */
  readonly notifyGraceSeconds?: number;
}

/**
 * The sweep (`sweepStaleJobs`) over a worker runtime's dependencies (job leases, audit, mailer,
 * metrics) and the export queue, with `maxAttempts` = the runtime's `maxReceiveCount`. The local
 * runtime calls it on a timer with the runtime it gives the worker and its queue, e.g.
 * `createSweeper(await createWorkerRuntime(cfg), new SqsExportQueue({client, queueUrl}), {graceSeconds:
 * cfg.SWEEP_GRACE_SECONDS, redeliveryDelaySeconds: cfg.QUEUE_VISIBILITY_TIMEOUT_SECONDS})`.
 */
export function createSweeper(
  runtime: WorkerRuntime,
  queue: ExportQueue,
  settings: SweeperSettings = {},
): Sweeper {
  const { deps, maxReceiveCount } = runtime;
  return (options = {}) =>
    sweepStaleJobs(
      {
        leases: deps.leases,
        audit: deps.audit,
        mailer: deps.mailer,
        events: deps.events,
        notifications: deps.notifications,
        linkSecret: deps.linkSecret,
        publicApiUrl: deps.publicApiUrl,
        settings: deps.settings,
        metrics: deps.metrics,
        storeFor: deps.storeFor,
        defaultBucket: deps.defaultBucket,
        queue,
        ...(deps.chunking && { chunks: deps.chunking.chunks }),
        log: options.log ?? deps.log,
      },
      {
        now: options.now ?? new Date(),
        maxAttempts: maxReceiveCount,
        queuedGraceSeconds: settings.graceSeconds,
        redeliveryDelaySeconds: settings.redeliveryDelaySeconds,
        notifyGraceSeconds: settings.notifyGraceSeconds,
      },
    );
}

/**
 * Builds the sweeper from `cfg`: the worker's runtime (`createWorkerRuntime`, with its overrides)
 * and the export queue on the traced SQS client.
 */
export async function createSweeperFromConfig(
  cfg: Config = config(),
  overrides: WorkerRuntimeOverrides = {},
): Promise<Sweeper> {
  return createSweeper(
    await createWorkerRuntime(cfg, overrides),
    new SqsExportQueue({ client: sqsClient(), queueUrl: exportQueueUrl() }),
    {
      graceSeconds: cfg.SWEEP_GRACE_SECONDS,
      redeliveryDelaySeconds: cfg.QUEUE_VISIBILITY_TIMEOUT_SECONDS,
      notifyGraceSeconds: cfg.NOTIFY_GRACE_SECONDS,
    },
  );
}

/** The Lambda's sweeper, built on first use and kept for the execution environment's life. */
export const sweeper = once(() => createSweeperFromConfig());
