import type { S3Client } from '@aws-sdk/client-s3';
import type { Sql } from 'postgres';
import { EventBridgeEventPublisher } from '../adapters/eventbridge/eventbridge-event-publisher.js';
import { SesMailer } from '../adapters/mail/ses-mailer.js';
import { PostgresAuditLog } from '../adapters/postgres/postgres-audit-log.js';
import { PostgresExportChunks } from '../adapters/postgres/postgres-export-chunks.js';
import { PostgresExportDatabase } from '../adapters/postgres/postgres-export-database.js';
import { PostgresJobLeases } from '../adapters/postgres/postgres-job-leases.js';
import { PostgresJobNotifications } from '../adapters/postgres/postgres-job-notifications.js';
import { PowertoolsMetricsSink } from '../adapters/powertools/powertools-metrics-sink.js';
import { S3MultipartUploads } from '../adapters/s3/s3-multipart-uploads.js';
import { S3ObjectStore } from '../adapters/s3/s3-object-store.js';
import { SqsExportQueue } from '../adapters/sqs/sqs-export-queue.js';
import type { ExportQueue } from '../domain/jobs/export-queue.js';
import type { MetricsSink } from '../domain/metrics-sink.js';
import type { EventPublisher } from '../domain/notifications/export-events.js';
import type { Mailer } from '../domain/notifications/mailer.js';
import type { ProcessExportJobDeps, ProcessExportJobSettings } from '../domain/worker/worker-deps.js';
import { eventBridgeClient, eventBusName } from '../platform/aws/eventbridge-client.js';
import { s3Client } from '../platform/aws/s3-client.js';
import { sesClient } from '../platform/aws/ses-client.js';
import { sqsClient } from '../platform/aws/sqs-client.js';
import { type Config, config } from '../platform/config.js';
import { databaseConnection, lambdaSql } from '../platform/lambda-sql.js';
import { once, perKey } from '../platform/once.js';
import { resolveLinkSecret } from '../platform/secrets.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../platform/service-identity.js';
import { defaultOf } from '../platform/settings.js';

/** What the export worker handler needs: the use case's dependencies and the queue's redrive limit. */
export interface WorkerRuntime {
  readonly deps: ProcessExportJobDeps;
  /** The queue's redrive `maxReceiveCount` (`MAX_RECEIVE_COUNT`, default 5). */
  readonly maxReceiveCount: number;
}

export interface WorkerDepsProps {
  /** Connection for job state and audit rows. */
  readonly jobsSql: Sql;
  /**
   * Connections for the export snapshots. One is held by a transaction for a whole export, so it
   * must not be the one the heartbeat writes progress through (with `max: 1`, that would wait for
   * the end). A `snapshot` job reads on the pool's other connections at once (`max - 1` readers).
   */
  readonly exportSql: Sql;
  readonly s3: S3Client;
  /** Multipart part size in bytes (`UPLOAD_PART_SIZE_MIB`). @default S3ObjectStore's 5 MiB */
  readonly partSize?: number;
  readonly defaultBucket: string;
  readonly mailer: Mailer;
  readonly events: EventPublisher;
  readonly metrics: MetricsSink;
  readonly linkSecret: string;
  readonly publicApiUrl: string;
  readonly settings: ProcessExportJobSettings;
  /**
   * The export queue, for chunk messages and continuations; without it jobs are never split
   * into chunks.
   */
  readonly queue?: ExportQueue;
  /** `CHUNK_ROWS`. @default its declared default (`settings.ts`) */
  readonly chunkRows?: number;
}

/** Wires the Postgres and S3 adapters into the use case's dependencies (one ObjectStore per bucket). */
export function buildWorkerDeps(props: WorkerDepsProps): ProcessExportJobDeps {
  const database = new PostgresExportDatabase(props.exportSql);
  return {
    leases: new PostgresJobLeases(props.jobsSql),
    notifications: new PostgresJobNotifications(props.jobsSql),
    audit: new PostgresAuditLog(props.jobsSql),
    database,
    storeFor: perKey(
      (bucket: string) => new S3ObjectStore({ client: props.s3, bucket, partSize: props.partSize }),
    ),
    defaultBucket: props.defaultBucket,
    mailer: props.mailer,
    events: props.events,
    metrics: props.metrics,
    linkSecret: props.linkSecret,
    publicApiUrl: props.publicApiUrl,
    settings: props.settings,
    ...(props.queue && {
      chunking: {
        chunks: new PostgresExportChunks(props.jobsSql),
        uploads: new S3MultipartUploads({ client: props.s3, bucket: props.defaultBucket }),
        queue: props.queue,
        chunkRows: props.chunkRows ?? defaultOf('CHUNK_ROWS'),
        snapshots: database,
        // A reader needs a connection the snapshot's holder does not: with one, the holder reads.
        snapshotReaders: Math.max(0, props.exportSql.options.max - 1),
      },
    }),
  };
}

/** What a runtime other than Lambda's provides instead of the AWS defaults. */
export interface WorkerRuntimeOverrides {
  /** @default SES from `MAIL_FROM` (the local runtime gives its outbox folder) */
  readonly mailer?: Mailer;
  /** @default EventBridge, the bus `EVENT_BUS_NAME` (the local runtime gives its emulated bus) */
  readonly events?: EventPublisher;
}

/**
 * Builds the worker's dependencies from `cfg`: two single-connection postgres.js clients (job
 * state, export snapshots) as the function's own database login, the traced S3 client, SES (or the
 * given mailer), EventBridge (or the given bus), EMF metrics, the link-signing key and, with
 * `EXPORT_QUEUE_URL`, the export queue its chunk messages go to.
 */
export async function createWorkerRuntime(
  cfg: Config = config(),
  overrides: WorkerRuntimeOverrides = {},
): Promise<WorkerRuntime> {
  const linkSecret = await resolveLinkSecret(cfg);
  const database = databaseConnection(cfg);
  const mailer =
    overrides.mailer ??
    new SesMailer({
      client: sesClient(),
      from: cfg.MAIL_FROM,
      ...(cfg.SES_CONFIGURATION_SET && { configurationSetName: cfg.SES_CONFIGURATION_SET }),
    });
  return {
    maxReceiveCount: cfg.MAX_RECEIVE_COUNT,
    deps: buildWorkerDeps({
      jobsSql: lambdaSql(database),
      // The snapshot's holder and the readers of a `snapshot` job (connections open when used).
      exportSql: lambdaSql(database, { max: cfg.SNAPSHOT_READERS + 1 }),
      s3: s3Client(),
      partSize: cfg.UPLOAD_PART_SIZE_MIB * 1024 * 1024,
      defaultBucket: cfg.EXPORT_BUCKET,
      mailer,
      events:
        overrides.events ??
        new EventBridgeEventPublisher({ client: eventBridgeClient(), eventBusName: eventBusName() }),
      metrics: new PowertoolsMetricsSink({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
      linkSecret,
      publicApiUrl: cfg.PUBLIC_API_URL,
      settings: { leaseSeconds: cfg.LEASE_SECONDS, linkTtlSeconds: cfg.LINK_TTL_SECONDS },
      ...(cfg.EXPORT_QUEUE_URL && {
        queue: new SqsExportQueue({ client: sqsClient(), queueUrl: cfg.EXPORT_QUEUE_URL }),
      }),
      chunkRows: cfg.CHUNK_ROWS,
    }),
  };
}

/** The Lambda's worker runtime, built on first use and kept for the execution environment's life. */
export const workerRuntime = once(() => createWorkerRuntime());
