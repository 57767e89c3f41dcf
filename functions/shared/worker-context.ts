import type { S3Client } from '@aws-sdk/client-s3';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Sql } from 'postgres';
import { OutboxMailer } from '../adapters/outbox-mailer.js';
import { PostgresAuditLog } from '../adapters/postgres-audit-log.js';
import { PostgresExportDatabase } from '../adapters/postgres-export-database.js';
import { PostgresJobLeases } from '../adapters/postgres-job-leases.js';
import { PowertoolsMetricsSink } from '../adapters/powertools-metrics-sink.js';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store.js';
import { SesMailer } from '../adapters/ses-mailer.js';
import type { Mailer } from '../domain/mailer.js';
import type { MetricsSink } from '../domain/metrics-sink.js';
import type { ObjectStore } from '../domain/ports.js';
import type { ProcessExportJobDeps, ProcessExportJobSettings } from '../domain/process-export-job.js';
import { type Config, config } from './config.js';
import { databaseConnection, lambdaSql } from './lambda-sql.js';
import { tracer } from './powertools.js';
import { resolveLinkSecret } from './secrets.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from './service-identity.js';

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
   * Connection for the export snapshots. It is held by a transaction for a whole export, so it must
   * not be the one the heartbeat writes progress through (with `max: 1`, that would wait for the end).
   */
  readonly exportSql: Sql;
  readonly s3: S3Client;
  /** Multipart part size in bytes (`UPLOAD_PART_SIZE_MIB`). @default S3ObjectStore's 5 MiB */
  readonly partSize?: number;
  readonly defaultBucket: string;
  readonly mailer: Mailer;
  readonly metrics: MetricsSink;
  readonly linkSecret: string;
  readonly publicApiUrl: string;
  readonly settings: ProcessExportJobSettings;
}

/** Wires the Postgres and S3 adapters into the use case's dependencies (one ObjectStore per bucket). */
export function buildWorkerDeps(props: WorkerDepsProps): ProcessExportJobDeps {
  const stores = new Map<string, ObjectStore>();
  return {
    leases: new PostgresJobLeases(props.jobsSql),
    audit: new PostgresAuditLog(props.jobsSql),
    database: new PostgresExportDatabase(props.exportSql),
    storeFor: (bucket) => {
      let store = stores.get(bucket);
      if (!store) {
        store = new S3ObjectStore({ client: props.s3, bucket, partSize: props.partSize });
        stores.set(bucket, store);
      }
      return store;
    },
    defaultBucket: props.defaultBucket,
    mailer: props.mailer,
    metrics: props.metrics,
    linkSecret: props.linkSecret,
    publicApiUrl: props.publicApiUrl,
    settings: props.settings,
  };
}

/**
 * Builds the worker's clients from `config()` and the resolved secrets: two single-connection
 * postgres.js clients (job state, export snapshots), S3 (`S3_ENDPOINT` for the local emulator),
 * and the mailer: the `OUTBOX_DIR` folder when set, SES otherwise.
 */
export async function createWorkerRuntime(cfg: Config = config()): Promise<WorkerRuntime> {
  const linkSecret = await resolveLinkSecret(cfg);
  const database = databaseConnection(cfg);
  const s3 = tracer.captureAWSv3Client(createS3Client({ endpoint: cfg.S3_ENDPOINT, region: cfg.AWS_REGION }));
  const mailer: Mailer = cfg.OUTBOX_DIR
    ? new OutboxMailer({ dir: cfg.OUTBOX_DIR, from: cfg.MAIL_FROM })
    : new SesMailer({
        client: tracer.captureAWSv3Client(new SESv2Client({ region: cfg.AWS_REGION })),
        from: cfg.MAIL_FROM,
        ...(cfg.SES_CONFIGURATION_SET && { configurationSetName: cfg.SES_CONFIGURATION_SET }),
      });
  return {
    maxReceiveCount: cfg.MAX_RECEIVE_COUNT,
    deps: buildWorkerDeps({
      jobsSql: lambdaSql(database),
      exportSql: lambdaSql(database),
      s3,
      partSize: cfg.UPLOAD_PART_SIZE_MIB * 1024 * 1024,
      defaultBucket: cfg.EXPORT_BUCKET,
      mailer,
      metrics: new PowertoolsMetricsSink({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME }),
      linkSecret,
      publicApiUrl: cfg.PUBLIC_API_URL,
      settings: { leaseSeconds: cfg.LEASE_SECONDS, linkTtlSeconds: cfg.LINK_TTL_SECONDS },
    }),
  };
}

let cached: Promise<WorkerRuntime> | undefined;

/**
 * The process-wide worker runtime, built on first use and kept for the execution environment's
 * life (a failed build is retried by the next invocation).
 */
export function workerRuntime(): Promise<WorkerRuntime> {
  cached ??= createWorkerRuntime().catch((error) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
