import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import postgres from 'postgres';
import { migrate } from '../db/migrate.js';
import { setServicePasswords } from '../db/service-roles.js';
import { ensureProductDatabase } from './demo-data.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { startLocalAws } from './local-aws.js';
import type { LocalConfig } from './runtime-config.js';
import type { StopList } from './stop-list.js';

/** Where the runtime's Postgres and S3/SQS endpoints are, embedded or given. */
export interface BackingServices {
  /** The database owner's URL: migrations and demo data only; the functions log in as their own roles. */
  readonly databaseUrl: string;
  readonly embeddedPostgres: boolean;
  readonly embeddedS3: boolean;
  /** fauxqs's endpoint, or '' when both S3 and SQS are given. */
  readonly emulatorEndpoint: string;
  readonly s3Endpoint: string;
  readonly sqsEndpoint: string;
}

/**
 * Starts what the settings do not point elsewhere: embedded Postgres under `<LOCAL_DATA_DIR>/pg`
 * unless DATABASE_URL, and fauxqs (with the bucket) unless both S3_ENDPOINT and SQS_ENDPOINT. Both
 * start in parallel and register their stop as soon as they run.
 */
export async function startBackingServices(config: LocalConfig, stops: StopList): Promise<BackingServices> {
  const embeddedPostgres = !config.DATABASE_URL;
  const embeddedS3 = !config.S3_ENDPOINT;
  const needEmulator = embeddedS3 || !config.SQS_ENDPOINT;
  // allSettled: when one fails, the other has still registered its stop before the clean-up runs.
  const [pgStart, awsStart] = await Promise.allSettled([
    embeddedPostgres
      ? startEmbeddedPostgres({
          dataDir: path.join(config.LOCAL_DATA_DIR, 'pg'),
          ...(config.LOCAL_PG_PORT !== undefined && { port: config.LOCAL_PG_PORT }),
        }).then((server) => {
          stops.add('Postgres', () => server.stop());
          return server;
        })
      : undefined,
    needEmulator
      ? startLocalAws({
          ...(config.LOCAL_AWS_PORT !== undefined && { port: config.LOCAL_AWS_PORT }),
          buckets: embeddedS3 ? [config.EXPORT_BUCKET] : [],
        }).then((emulator) => {
          stops.add('S3/SQS emulator', () => emulator.stop());
          return emulator;
        })
      : undefined,
  ]);
  if (pgStart.status === 'rejected') throw pgStart.reason;
  if (awsStart.status === 'rejected') throw awsStart.reason;
  // Presigned URLs point here, so a browser must reach it: the loopback address, not 0.0.0.0.
  const emulatorEndpoint = awsStart.value ? `http://127.0.0.1:${awsStart.value.port}` : '';
  return {
    databaseUrl: pgStart.value?.url ?? config.DATABASE_URL!,
    embeddedPostgres,
    embeddedS3,
    emulatorEndpoint,
    s3Endpoint: config.S3_ENDPOINT || emulatorEndpoint,
    sqsEndpoint: config.SQS_ENDPOINT || emulatorEndpoint,
  };
}

/**
 * Product tables with demo data when they are absent (never into an existing product database),
 * then the service's migrations, then the passwords of the service's logins. Product tables come
 * first: the migration run grants the service's reader their catalogue columns.
 * @returns whether the product tables were just created and seeded
 */
export async function migrateAndSeed(
  databaseUrl: string,
  props: {
    readonly demoUsers: number;
    readonly databasePassword: string;
    readonly log: (line: string) => void;
  },
): Promise<boolean> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    const { created } = await ensureProductDatabase(sql, { users: props.demoUsers });
    const applied = await migrate(sql);
    if (applied.length > 0) props.log(`migrations applied: ${applied.join(', ')}`);
    await setServicePasswords(sql, props.databasePassword);
    return created;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Creates the bucket on a given S3 endpoint (fauxqs's is created with the emulator); one that exists is fine. */
export async function ensureBucket(config: LocalConfig, s3Endpoint: string): Promise<void> {
  const s3 = new S3Client({
    region: config.AWS_REGION,
    endpoint: s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY },
  });
  try {
    await s3
      .send(new CreateBucketCommand({ Bucket: config.EXPORT_BUCKET }))
      .catch((error: { name?: string }) => {
        if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
      });
  } finally {
    s3.destroy();
  }
}

/** The export queue and its dead-letter queue. */
export interface ExportQueues {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
}

const QUEUE_NAME = 'data-export-queue';
const DLQ_NAME = 'data-export-dlq';

/**
 * Creates the export queue as the stack does: its visibility timeout, and a redrive policy that
 * moves a message to the DLQ after MAX_RECEIVE_COUNT receives. Creating an existing queue with the
 * same attributes returns it.
 */
export async function createExportQueues(sqs: SQSClient, config: LocalConfig): Promise<ExportQueues> {
  const queueArnOf = async (queueUrl: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
      .Attributes?.QueueArn ?? '';
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: DLQ_NAME }));
  const dlqArn = await queueArnOf(dlq.QueueUrl!);
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: QUEUE_NAME,
      Attributes: {
        VisibilityTimeout: String(config.QUEUE_VISIBILITY_TIMEOUT_SECONDS),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: String(config.MAX_RECEIVE_COUNT),
        }),
      },
    }),
  );
  return {
    queueUrl: queue.QueueUrl!,
    queueArn: await queueArnOf(queue.QueueUrl!),
    deadLetterQueueUrl: dlq.QueueUrl!,
  };
}
