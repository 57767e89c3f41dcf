import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import postgres, { type Sql } from 'postgres';
import { migrate } from '../db/migrate.js';
import { SERVICE_ROLES, type ServiceLogin, serviceUrl, setServicePasswords } from '../db/service-roles.js';
import { OutboxMailer } from '../functions/adapters/outbox-mailer.js';
import { createS3Client } from '../functions/adapters/s3-client.js';
import { SqsExportQueue } from '../functions/adapters/sqs-export-queue.js';
import { createAccessToken } from '../functions/domain/auth.js';
import { nextRunTimes } from '../functions/domain/eventbridge-cron.js';
import { SCHEDULES } from '../functions/domain/schedule-catalogue.js';
import { DEFAULT_MAIL_FROM } from '../functions/shared/config.js';
import { once } from '../functions/shared/once.js';
import { CONSOLE_DIST_DIR } from '../lib/console-site.js';
import { handlerEntryPath } from '../lib/handler-entries.js';
import { consoleFiles } from './console-files.js';
import {
  DEMO_ADMIN_EMAIL,
  DEMO_ADMIN_ID,
  DEMO_USER_EMAIL,
  DEMO_USER_ID,
  ensureProductDatabase,
} from './demo-data.js';
import { freePort, startEmbeddedPostgres } from './embedded-postgres.js';
import { type SqsEventSource, type SqsHandler, startSqsEventSource } from './event-source.js';
import {
  type AuthorizerHandler,
  type Gateway,
  type GatewayRoute,
  type ProxyHandler,
  startGateway,
} from './gateway.js';
import { gatewayRoutes } from './gateway-routes.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, lambdaContext } from './lambda-context.js';
import { startLocalAws } from './local-aws.js';
import { loadLocalSecrets, RUNTIME_INFO_FILE, type RuntimeInfo } from './local-secrets.js';
import { type OutboxEmail, type OutboxWatcher, watchOutbox } from './outbox.js';
import { type Scheduler, startScheduler } from './scheduler.js';

export interface LocalRuntimeOptions {
  /** Where Postgres data, secrets, the outbox and `runtime.json` live (`.local`). */
  readonly dataDir: string;
  /** Gateway port; 0 picks a free one. */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Demo users to generate when the product tables are absent (other tables scale from it). */
  readonly demoUsers: number;
  /** Read for settings and written before the handlers load (they read `process.env` at cold start). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: (line: string) => void;
  readonly logError: (message: string, error: unknown) => void;
  /** Told each new outbox email. */
  readonly onEmail?: (email: OutboxEmail) => void;
}

export interface LocalRuntime {
  readonly info: RuntimeInfo;
  /** Whether the product tables were just created and seeded with demo data. */
  readonly demoDataCreated: boolean;
  readonly embeddedPostgres: boolean;
  readonly embeddedS3: boolean;
  readonly workerTimeoutSeconds: number;
  readonly visibilityTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly tokens: { readonly user: string; readonly admin: string; readonly ttlSeconds: number };
  readonly demo: {
    readonly userId: string;
    readonly userEmail: string;
    readonly adminId: string;
    readonly adminEmail: string;
  };
  readonly nextRuns: () => ReadonlyMap<string, Date>;
  /** Stops everything it started, newest first; Postgres data stays. */
  stop(): Promise<void>;
}

/** How often the stale-job sweeper runs by default, as the stack's EventBridge rule does. */
const SWEEP_INTERVAL_SECONDS = 5 * 60;
/** Lifetime of the tokens printed at start-up. */
export const BANNER_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

const QUEUE_NAME = 'data-export-queue';
const DLQ_NAME = 'data-export-dlq';

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return value;
}

async function withDeadline(what: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    what.catch(() => {}),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(timer);
}

/**
 * Starts the whole service on one machine (DESIGN §2 "local runtime"): Postgres (embedded under
 * `<dataDir>/pg` unless `DATABASE_URL`), migrations and demo data (only when the product tables are
 * absent), the S3 + SQS emulator (fauxqs) with the bucket, the export queue and its DLQ, then the
 * environment the handlers read, then the handlers themselves behind the local API gateway, the SQS
 * event source, the scheduler and the outbox watcher.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const started = performance.now();
  const { env, log, logError, dataDir } = options;
  const host = options.host ?? '127.0.0.1';
  const stops: { name: string; stop: () => Promise<unknown> }[] = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.reverse()) {
      try {
        await withDeadline(stop(), 5_000);
      } catch (error) {
        logError(`could not stop ${name}`, error);
      }
    }
    stops.length = 0;
  };

  try {
    await mkdir(dataDir, { recursive: true });
    const secrets = await loadLocalSecrets(dataDir, env);
    const bucket = env.EXPORT_BUCKET || 'data-exports';
    const region = env.AWS_REGION || LOCAL_REGION;
    const workerTimeoutSeconds = positiveInt(env, 'WORKER_TIMEOUT_SECONDS', 900);
    // The stack's rule (STYLE.md "Queues"): visibility timeout ≥ 6 × the worker timeout.
    const visibilityTimeoutSeconds = positiveInt(
      env,
      'QUEUE_VISIBILITY_TIMEOUT_SECONDS',
      6 * workerTimeoutSeconds,
    );
    const maxReceiveCount = positiveInt(env, 'MAX_RECEIVE_COUNT', 5);
    const workerConcurrency = Math.max(1, positiveInt(env, 'WORKER_CONCURRENCY', 2));
    const workerBatchSize = positiveInt(env, 'WORKER_BATCH_SIZE', 1);

    // Postgres and the AWS emulator start in parallel; both are needed before anything else.
    const embeddedPostgres = !env.DATABASE_URL;
    const embeddedS3 = !env.S3_ENDPOINT;
    const needEmulator = embeddedS3 || !env.SQS_ENDPOINT;
    // allSettled: when one fails, the other has still registered its stop before the clean-up runs.
    const [pgStart, awsStart] = await Promise.allSettled([
      embeddedPostgres
        ? startEmbeddedPostgres({
            dataDir: path.join(dataDir, 'pg'),
            ...(env.LOCAL_PG_PORT && { port: positiveInt(env, 'LOCAL_PG_PORT', 0) }),
          }).then((server) => {
            stops.push({ name: 'Postgres', stop: () => server.stop() });
            return server;
          })
        : undefined,
      needEmulator
        ? startLocalAws({
            port: positiveInt(env, 'LOCAL_AWS_PORT', 0),
            buckets: embeddedS3 ? [bucket] : [],
          }).then((emulator) => {
            stops.push({ name: 'S3/SQS emulator', stop: () => emulator.stop() });
            return emulator;
          })
        : undefined,
    ]);
    if (pgStart.status === 'rejected') throw pgStart.reason;
    if (awsStart.status === 'rejected') throw awsStart.reason;
    const pg = pgStart.value;
    const aws = awsStart.value;
    /** The owner's URL: migrations and demo data only. The functions log in as their own roles. */
    const databaseUrl = pg?.url ?? env.DATABASE_URL!;
    const loginUrl = (login: ServiceLogin) => serviceUrl(databaseUrl, login, secrets.databasePassword);
    // Presigned URLs point here, so a browser must reach it: the loopback address, not 0.0.0.0.
    const emulatorEndpoint = aws ? `http://127.0.0.1:${aws.port}` : '';
    const s3Endpoint = env.S3_ENDPOINT || emulatorEndpoint;
    const sqsEndpoint = env.SQS_ENDPOINT || emulatorEndpoint;
    const credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID || 'local',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY || 'local',
    };

    const setupSql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    let demoDataCreated = false;
    try {
      // Product tables first: the migration run grants the service's reader their catalogue columns.
      ({ created: demoDataCreated } = await ensureProductDatabase(setupSql, { users: options.demoUsers }));
      const applied = await migrate(setupSql);
      if (applied.length > 0) log(`migrations applied: ${applied.join(', ')}`);
      await setServicePasswords(setupSql, secrets.databasePassword);
    } finally {
      await setupSql.end({ timeout: 5 });
    }

    if (!embeddedS3) {
      const s3 = new S3Client({ region, endpoint: s3Endpoint, forcePathStyle: true, credentials });
      await s3.send(new CreateBucketCommand({ Bucket: bucket })).catch((error: { name?: string }) => {
        if (error.name !== 'BucketAlreadyOwnedByYou' && error.name !== 'BucketAlreadyExists') throw error;
      });
      s3.destroy();
    }

    const sqs = new SQSClient({ region, endpoint: sqsEndpoint, credentials });
    stops.push({ name: 'SQS client', stop: async () => sqs.destroy() });
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: DLQ_NAME }));
    const queueArnOf = async (queueUrl: string) =>
      (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] })))
        .Attributes?.QueueArn ?? '';
    const dlqArn = await queueArnOf(dlq.QueueUrl!);
    const queue = await sqs.send(
      new CreateQueueCommand({
        QueueName: QUEUE_NAME,
        Attributes: {
          VisibilityTimeout: String(visibilityTimeoutSeconds),
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlqArn,
            maxReceiveCount: String(maxReceiveCount),
          }),
        },
      }),
    );
    const queueUrl = queue.QueueUrl!;
    const queueArn = await queueArnOf(queueUrl);

    const port = options.port || (await freePort());
    const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    const apiUrl = env.PUBLIC_API_URL || `http://${publicHost}:${port}`;
    const outboxDir = path.resolve(env.OUTBOX_DIR || path.join(dataDir, 'outbox'));
    // The local runtime's mail goes to a folder instead of SES; the worker and sweeper are given it.
    const outboxMailer = new OutboxMailer({ dir: outboxDir, from: env.MAIL_FROM || DEFAULT_MAIL_FROM });

    // The environment the handlers read at cold start (functions/shared/config.ts), set before
    // any handler module loads.
    const defaults: Record<string, string> = {
      // Readable (indented) log lines on a console, and Powertools writing through the global console.
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_LOG_LEVEL: 'WARN',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      POWERTOOLS_SERVICE_NAME: 'data-export',
    };
    for (const [key, value] of Object.entries(defaults)) env[key] ??= value;
    Object.assign(env, {
      DATABASE_URL: loginUrl(SERVICE_ROLES.api),
      EXPORT_BUCKET: bucket,
      S3_ENDPOINT: s3Endpoint,
      SQS_ENDPOINT: sqsEndpoint,
      EXPORT_QUEUE_URL: queueUrl,
      AWS_REGION: region,
      JWT_SECRET: secrets.jwtSecret,
      LINK_SECRET: secrets.linkSecret,
      PUBLIC_API_URL: apiUrl,
      MAX_RECEIVE_COUNT: String(maxReceiveCount),
      QUEUE_VISIBILITY_TIMEOUT_SECONDS: String(visibilityTimeoutSeconds),
    });

    const { config } = await import('../functions/shared/config.js');
    const { buildApiDeps } = await import('../functions/shared/api-context.js');
    const { setApiDeps } = await import('../functions/shared/api-wiring/provided.js');
    const { createWorkerRuntime } = await import('../functions/shared/worker-context.js');
    const { createExportWorkerHandler } = await import('../functions/handlers/export-worker.js');
    const cfg = config();

    // One Lambda holds one connection; the gateway serves concurrent requests in one process, so
    // the request handlers share a small pool instead (as several Lambda instances would).
    const apiSql: Sql = postgres(loginUrl(SERVICE_ROLES.api), {
      max: 8,
      idle_timeout: 20,
      connect_timeout: 10,
      onnotice: () => {},
    });
    stops.push({ name: 'API connections', stop: () => apiSql.end({ timeout: 2 }) });
    setApiDeps(
      buildApiDeps({
        config: cfg,
        sql: apiSql,
        linkSecret: async () => secrets.linkSecret,
        s3: createS3Client({ endpoint: s3Endpoint, region }),
        queue: new SqsExportQueue({ client: sqs, queueUrl }),
      }),
    );

    const importHandler = async <T>(file: string): Promise<T> => {
      const module = (await import(pathToFileURL(file).href)) as { handler?: T };
      if (typeof module.handler !== 'function') throw new Error(`${file} exports no handler`);
      return module.handler;
    };
    const authorizer = once(() => importHandler<AuthorizerHandler>(handlerEntryPath('authorizer')));
    const handlersDir = path.dirname(handlerEntryPath('authorizer'));
    const routes: GatewayRoute[] = gatewayRoutes((_name, file) =>
      once(() => importHandler<ProxyHandler>(path.join(handlersDir, file))),
    );
    // Load every handler now: a broken one fails the start, not the first request.
    await Promise.all([authorizer(), ...routes.map((route) => route.handler())]);

    const gateway: Gateway = await startGateway({
      routes,
      authorizer,
      apiKeys: [secrets.apiKey],
      usagePlan: {
        rateLimit: positiveInt(env, 'API_THROTTLE_RATE', 10),
        burstLimit: positiveInt(env, 'API_THROTTLE_BURST', 20),
        quotaPerDay: positiveInt(env, 'API_QUOTA_PER_DAY', 5000),
      },
      port,
      host,
      maxBodyBytes: positiveInt(env, 'API_MAX_BODY_BYTES', 10 * 1024 * 1024),
      log,
      logError,
      staticSite: consoleFiles(CONSOLE_DIST_DIR),
    });
    stops.push({ name: 'API gateway', stop: () => gateway.close() });

    // Each poller is its own "execution environment" with its own connections, as two concurrent
    // Lambda instances would be; the worker holds a connection per export for its snapshot.
    const workerHandlers = Array.from({ length: workerConcurrency }, () =>
      createExportWorkerHandler(
        once(() =>
          createWorkerRuntime(
            { ...cfg, DATABASE_URL: loginUrl(SERVICE_ROLES.worker) },
            { mailer: outboxMailer },
          ),
        ),
      ),
    ) as unknown as SqsHandler[];
    const eventSource: SqsEventSource = startSqsEventSource({
      sqs,
      queueUrl,
      queueArn,
      handlers: workerHandlers,
      functionName: 'export-worker',
      timeoutMs: workerTimeoutSeconds * 1000,
      batchSize: workerBatchSize,
      log,
      logError,
    });
    stops.push({ name: 'SQS event source', stop: () => eventSource.stop(3_000) });

    let scheduler: Scheduler | undefined;
    if (env.SCHEDULER !== 'off') {
      scheduler = startScheduler({
        schedules: SCHEDULES,
        nextRunTimes,
        send: async (message) => {
          await sqs.send(
            new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }),
          );
        },
        log,
        logError,
      });
      const active = scheduler;
      stops.push({ name: 'scheduler', stop: async () => active.stop() });
    }

    // The stack's rate(5 minutes) rule: the same sweep handler, fed EventBridge-shaped events.
    const { createSweeperFromConfig } = await import('../functions/shared/sweeper.js');
    const { createSweepJobsHandler } = await import('../functions/handlers/sweep-jobs.js');
    const sweep = createSweepJobsHandler(
      once(() =>
        createSweeperFromConfig(
          { ...cfg, DATABASE_URL: loginUrl(SERVICE_ROLES.sweeper) },
          { mailer: outboxMailer },
        ),
      ),
    );
    const sweepTimer = setInterval(
      () => {
        const time = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
        const event = {
          version: '0',
          id: randomUUID(),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: LOCAL_ACCOUNT,
          time,
          region: LOCAL_REGION,
          resources: [`arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/sweep-jobs`],
          detail: {},
        };
        sweep(event, lambdaContext({ functionName: 'sweep-jobs', timeoutMs: 60_000 })).catch(
          (error: unknown) => logError('stale-job sweep failed', error),
        );
      },
      positiveInt(env, 'SWEEP_INTERVAL_SECONDS', SWEEP_INTERVAL_SECONDS) * 1000,
    );
    sweepTimer.unref();
    stops.push({ name: 'stale-job sweeper', stop: async () => clearInterval(sweepTimer) });

    const outbox: OutboxWatcher = await watchOutbox(outboxDir, (email) => options.onEmail?.(email), {
      logError,
    });
    stops.push({ name: 'outbox watcher', stop: async () => outbox.close() });

    const tokenTtl = BANNER_TOKEN_TTL_SECONDS;
    const tokens = {
      user: await createAccessToken(
        secrets.jwtSecret,
        { sub: DEMO_USER_ID, email: DEMO_USER_EMAIL, roles: ['user'] },
        { ttlSeconds: tokenTtl },
      ),
      admin: await createAccessToken(
        secrets.jwtSecret,
        { sub: DEMO_ADMIN_ID, email: DEMO_ADMIN_EMAIL, roles: ['admin'] },
        { ttlSeconds: tokenTtl },
      ),
      ttlSeconds: tokenTtl,
    };

    const info: RuntimeInfo = {
      pid: process.pid,
      apiUrl,
      apiKey: secrets.apiKey,
      databaseUrl,
      awsEndpoint: emulatorEndpoint,
      s3Endpoint,
      bucket,
      queueUrl,
      deadLetterQueueUrl: dlq.QueueUrl!,
      outboxDir,
      startedAt: new Date().toISOString(),
      startupMs: Math.round(performance.now() - started),
    };
    const infoFile = path.join(dataDir, RUNTIME_INFO_FILE);
    await writeFile(infoFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
    stops.push({ name: RUNTIME_INFO_FILE, stop: () => rm(infoFile, { force: true }) });

    return {
      info,
      demoDataCreated,
      embeddedPostgres,
      embeddedS3,
      workerTimeoutSeconds,
      visibilityTimeoutSeconds,
      maxReceiveCount,
      tokens,
      demo: {
        userId: DEMO_USER_ID,
        userEmail: DEMO_USER_EMAIL,
        adminId: DEMO_ADMIN_ID,
        adminEmail: DEMO_ADMIN_EMAIL,
      },
      nextRuns: () => scheduler?.nextRuns() ?? new Map(),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
