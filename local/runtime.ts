import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import postgres from 'postgres';
import { SERVICE_ROLES, type ServiceLogin, serviceUrl } from '../db/service-roles.js';
import { OutboxMailer } from '../functions/adapters/outbox-mailer.js';
import { createS3Client } from '../functions/adapters/s3-client.js';
import { SqsExportQueue } from '../functions/adapters/sqs-export-queue.js';
import { SqsWebhookQueue } from '../functions/adapters/sqs-webhook-queue.js';
import { createAccessToken } from '../functions/domain/auth.js';
import { nextRunTimes } from '../functions/domain/eventbridge-cron.js';
import type { EventPublisher } from '../functions/domain/export-events.js';
import type { Mailer } from '../functions/domain/mailer.js';
import { SCHEDULES } from '../functions/domain/schedule-catalogue.js';
import type { Config } from '../functions/shared/config.js';
import { once } from '../functions/shared/once.js';
import { SERVICE_NAME } from '../functions/shared/service-identity.js';
import { CONSOLE_DIST_DIR } from '../lib/console-site.js';
import { handlerEntryPath } from '../lib/handler-entries.js';
import {
  type BackingServices,
  createExportQueues,
  type ExportQueues,
  ensureBucket,
  migrateAndSeed,
  startBackingServices,
} from './backing-services.js';
import { consoleFiles } from './console-files.js';
import { DEMO_ADMIN_EMAIL, DEMO_ADMIN_ID, DEMO_USER_EMAIL, DEMO_USER_ID } from './demo/identities.js';
import { freePort } from './embedded-postgres.js';
import { startSqsEventSource } from './event-source.js';
import { type AuthorizerHandler, type GatewayRoute, type ProxyHandler, startGateway } from './gateway.js';
import { gatewayRoutes } from './gateway-routes.js';
import { LOCAL_EVENT_BUS_NAME, LocalEventBus } from './local-event-bus.js';
import { type LocalSecrets, loadLocalSecrets, RUNTIME_INFO_FILE, type RuntimeInfo } from './local-secrets.js';
import { type OutboxEmail, watchOutbox } from './outbox.js';
import type { LocalConfig } from './runtime-config.js';
import { type Scheduler, startScheduler } from './scheduler.js';
import { StopList } from './stop-list.js';
import { type ScheduledHandler, startSweepTimer } from './sweep-timer.js';
import { createWebhookQueues, startWebhookDelivery } from './webhook-delivery.js';
import { startWorkerProcesses } from './worker-processes.js';

export interface LocalRuntimeOptions {
  /** The runtime's settings (`loadLocalConfig`): data directory, ports, emulated limits, timers. */
  readonly config: LocalConfig;
  /** Demo users to generate when the product tables are absent (other tables scale from it). */
  readonly demoUsers: number;
  /** Written before the handlers load (they read `process.env` at cold start). */
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

/** Lifetime of the tokens printed at start-up. */
export const BANNER_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

/** What every start-up step needs: the settings, the list its stop goes on, and where to log. */
interface Step {
  readonly config: LocalConfig;
  readonly stops: StopList;
  readonly log: (line: string) => void;
  readonly logError: (message: string, error: unknown) => void;
}

/**
 * Starts the whole service on one machine (DESIGN §2 "local runtime"), step by step; each step
 * registers how to stop what it started, so a failed start stops exactly that, newest first.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const started = performance.now();
  const { config } = options;
  const step: Step = {
    config,
    stops: new StopList(options.logError),
    log: options.log,
    logError: options.logError,
  };
  try {
    await mkdir(config.LOCAL_DATA_DIR, { recursive: true });
    const secrets = await loadLocalSecrets(config.LOCAL_DATA_DIR, config);
    const services = await startBackingServices(config, step.stops);
    const demoDataCreated = await migrateAndSeed(services.databaseUrl, {
      demoUsers: options.demoUsers,
      databasePassword: secrets.databasePassword,
      log: step.log,
    });
    if (!services.embeddedS3) await ensureBucket(config, services.s3Endpoint);
    const sqs = sqsClient(step, services.sqsEndpoint);
    const queues = await createExportQueues(sqs, config);
    const port = config.PORT || (await freePort());
    const apiUrl = config.PUBLIC_API_URL ?? `http://${reachableHost(config.HOST)}:${port}`;
    const login = (role: ServiceLogin) => serviceUrl(services.databaseUrl, role, secrets.databasePassword);

    const handlerConfig = await setHandlerEnvironment(options.env, {
      config,
      services,
      queues,
      secrets,
      apiUrl,
      databaseUrl: login(SERVICE_ROLES.api),
    });
    const webhookQueues = await createWebhookQueues(sqs, handlerConfig.WEBHOOK_MAX_ATTEMPTS);
    await wireApiHandlers(step, handlerConfig, secrets, {
      s3Endpoint: services.s3Endpoint,
      sqs,
      queueUrl: queues.queueUrl,
      webhookQueueUrl: webhookQueues.queueUrl,
    });
    // Mail goes to a folder instead of SES, events to the emulated bus; the worker and the sweeper are given both.
    const notify: Notifiers = {
      mailer: new OutboxMailer({ dir: config.OUTBOX_DIR, from: handlerConfig.MAIL_FROM }),
      events: new LocalEventBus({
        eventsFile: eventsFile(config),
        sqs,
        webhookQueueUrl: webhookQueues.queueUrl,
      }),
    };
    await startApiGateway(step, port, secrets.apiKey);
    await startWorkers(step, { ...handlerConfig, DATABASE_URL: login(SERVICE_ROLES.worker) }, sqs, queues, {
      eventsFile: eventsFile(config),
      webhookQueueUrl: webhookQueues.queueUrl,
    });
    const scheduler = startCronScheduler(step, sqs, queues.queueUrl);
    await startSweeper(step, { ...handlerConfig, DATABASE_URL: login(SERVICE_ROLES.sweeper) }, notify);
    // The delivery function needs only the service's tables: the sweeper's login.
    const delivery = await startWebhookDelivery({
      config: {
        ...handlerConfig,
        DATABASE_URL: login(SERVICE_ROLES.sweeper),
        WEBHOOK_QUEUE_URL: webhookQueues.queueUrl,
      },
      sqs,
      queues: webhookQueues,
      log: step.log,
      logError: step.logError,
    });
    step.stops.add('webhook delivery', () => delivery.stop(3_000));
    await startOutboxWatcher(step, options.onEmail);
    const tokens = await demoTokens(secrets.jwtSecret);

    const info = await writeRuntimeInfo(step, {
      pid: process.pid,
      apiUrl,
      apiKey: secrets.apiKey,
      databaseUrl: services.databaseUrl,
      awsEndpoint: services.emulatorEndpoint,
      s3Endpoint: services.s3Endpoint,
      bucket: config.EXPORT_BUCKET,
      queueUrl: queues.queueUrl,
      deadLetterQueueUrl: queues.deadLetterQueueUrl,
      webhookQueueUrl: webhookQueues.queueUrl,
      webhookDeadLetterQueueUrl: webhookQueues.deadLetterQueueUrl,
      eventsFile: eventsFile(config),
      outboxDir: config.OUTBOX_DIR,
      startedAt: new Date().toISOString(),
      startupMs: Math.round(performance.now() - started),
    });
    return {
      info,
      demoDataCreated,
      embeddedPostgres: services.embeddedPostgres,
      embeddedS3: services.embeddedS3,
      workerTimeoutSeconds: config.WORKER_TIMEOUT_SECONDS,
      visibilityTimeoutSeconds: config.QUEUE_VISIBILITY_TIMEOUT_SECONDS,
      maxReceiveCount: config.MAX_RECEIVE_COUNT,
      tokens,
      demo: {
        userId: DEMO_USER_ID,
        userEmail: DEMO_USER_EMAIL,
        adminId: DEMO_ADMIN_ID,
        adminEmail: DEMO_ADMIN_EMAIL,
      },
      nextRuns: () => scheduler?.nextRuns() ?? new Map(),
      stop: () => step.stops.stopAll(),
    };
  } catch (error) {
    await step.stops.stopAll();
    throw error;
  }
}

/** What tells the world about outcomes, locally. */
interface Notifiers {
  readonly mailer: Mailer;
  readonly events: EventPublisher;
}

/** The emulated EventBridge bus's file: one event a line. */
const eventsFile = (config: LocalConfig) => path.join(config.LOCAL_DATA_DIR, 'events.ndjson');

/** Links must reach the API from this machine: a wildcard listen address becomes the loopback one. */
function reachableHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

function sqsClient(step: Step, endpoint: string): SQSClient {
  const { config } = step;
  const sqs = new SQSClient({
    region: config.AWS_REGION,
    endpoint,
    credentials: { accessKeyId: config.AWS_ACCESS_KEY_ID, secretAccessKey: config.AWS_SECRET_ACCESS_KEY },
  });
  step.stops.add('SQS client', () => sqs.destroy());
  return sqs;
}

/**
 * Sets the environment the handlers read at cold start (functions/shared/config.ts and the
 * Powertools instances), then loads their config: every handler module is imported after this.
 */
async function setHandlerEnvironment(
  env: NodeJS.ProcessEnv,
  props: {
    readonly config: LocalConfig;
    readonly services: BackingServices;
    readonly queues: ExportQueues;
    readonly secrets: LocalSecrets;
    readonly apiUrl: string;
    /** The API's login; the worker and the sweeper are given their own. */
    readonly databaseUrl: string;
  },
): Promise<Config> {
  const { config, services, secrets } = props;
  // Readable (indented) log lines on a console, and Powertools writing through the global console.
  // Given values win: POWERTOOLS_DEV=false shows the JSON lines CloudWatch would get.
  const defaults: Record<string, string> = {
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    // Webhooks to http://127.0.0.1 for trying them here; `false` applies the AWS rules.
    WEBHOOK_ALLOW_LOOPBACK: 'true',
  };
  for (const [key, value] of Object.entries(defaults)) env[key] ??= value;
  Object.assign(env, {
    POWERTOOLS_LOG_LEVEL: config.POWERTOOLS_LOG_LEVEL,
    DATABASE_URL: props.databaseUrl,
    EXPORT_BUCKET: config.EXPORT_BUCKET,
    S3_ENDPOINT: services.s3Endpoint,
    SQS_ENDPOINT: services.sqsEndpoint,
    EXPORT_QUEUE_URL: props.queues.queueUrl,
    AWS_REGION: config.AWS_REGION,
    JWT_SECRET: secrets.jwtSecret,
    LINK_SECRET: secrets.linkSecret,
    WEBHOOK_SECRET_KEY: secrets.webhookSecretKey,
    EVENT_BUS_NAME: LOCAL_EVENT_BUS_NAME,
    PUBLIC_API_URL: props.apiUrl,
    MAX_RECEIVE_COUNT: String(config.MAX_RECEIVE_COUNT),
    QUEUE_VISIBILITY_TIMEOUT_SECONDS: String(config.QUEUE_VISIBILITY_TIMEOUT_SECONDS),
  });
  const { config: handlerConfig } = await import('../functions/shared/config.js');
  return handlerConfig();
}

/**
 * The API handlers' dependencies, on one small pool: one Lambda holds one connection, but the
 * gateway serves concurrent requests in one process (as several Lambda instances would).
 */
async function wireApiHandlers(
  step: Step,
  handlerConfig: Config,
  secrets: LocalSecrets,
  aws: {
    readonly s3Endpoint: string;
    readonly sqs: SQSClient;
    readonly queueUrl: string;
    readonly webhookQueueUrl: string;
  },
): Promise<void> {
  const { buildApiDeps } = await import('../functions/shared/api-context.js');
  const { setApiDeps } = await import('../functions/shared/api-wiring/provided.js');
  const sql = postgres(handlerConfig.DATABASE_URL!, {
    max: 8,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => {},
  });
  step.stops.add('API connections', () => sql.end({ timeout: 2 }));
  setApiDeps(
    buildApiDeps({
      config: handlerConfig,
      sql,
      linkSecret: async () => secrets.linkSecret,
      s3: createS3Client({ endpoint: aws.s3Endpoint, region: handlerConfig.AWS_REGION }),
      queue: new SqsExportQueue({ client: aws.sqs, queueUrl: aws.queueUrl }),
      webhookQueue: new SqsWebhookQueue({ client: aws.sqs, queueUrl: aws.webhookQueueUrl }),
    }),
  );
}

async function importHandler<T>(file: string): Promise<T> {
  const module = (await import(pathToFileURL(file).href)) as { handler?: T };
  if (typeof module.handler !== 'function') throw new Error(`${file} exports no handler`);
  return module.handler;
}

/**
 * The route table's handlers behind the local API Gateway, with the REQUEST authorizer, the API
 * key and the usage plan, and the web console's files at `/console/`. Every handler loads now: a
 * broken one fails the start, not the first request.
 */
async function startApiGateway(step: Step, port: number, apiKey: string): Promise<void> {
  const { config } = step;
  const authorizer = once(() => importHandler<AuthorizerHandler>(handlerEntryPath('authorizer')));
  const handlersDir = path.dirname(handlerEntryPath('authorizer'));
  const routes: GatewayRoute[] = gatewayRoutes((_name, file) =>
    once(() => importHandler<ProxyHandler>(path.join(handlersDir, file))),
  );
  await Promise.all([authorizer(), ...routes.map((route) => route.handler())]);
  const gateway = await startGateway({
    routes,
    authorizer,
    apiKeys: [apiKey],
    usagePlan: {
      rateLimit: config.API_THROTTLE_RATE,
      burstLimit: config.API_THROTTLE_BURST,
      quotaPerDay: config.API_QUOTA_PER_DAY,
    },
    port,
    host: config.HOST,
    maxBodyBytes: config.API_MAX_BODY_BYTES,
    log: step.log,
    logError: step.logError,
    staticSite: consoleFiles(CONSOLE_DIST_DIR),
  });
  step.stops.add('API gateway', () => gateway.close());
}

/**
 * The export worker behind the SQS event source: WORKER_CONCURRENCY pollers, each its own
 * execution environment in a child process with its own connections, as concurrent Lambda
 * instances are, so the chunks of a large job run in parallel on this machine's cores.
 */
async function startWorkers(
  step: Step,
  workerConfig: Config,
  sqs: SQSClient,
  queues: ExportQueues,
  bus: { readonly eventsFile: string; readonly webhookQueueUrl: string },
): Promise<void> {
  const workers = startWorkerProcesses({
    count: step.config.WORKER_CONCURRENCY,
    config: workerConfig,
    outboxDir: step.config.OUTBOX_DIR,
    ...bus,
    log: step.log,
  });
  step.stops.add('worker processes', () => workers.stop());
  const eventSource = startSqsEventSource({
    sqs,
    queueUrl: queues.queueUrl,
    queueArn: queues.queueArn,
    handlers: workers.handlers,
    functionName: 'export-worker',
    timeoutMs: step.config.WORKER_TIMEOUT_SECONDS * 1000,
    batchSize: step.config.WORKER_BATCH_SIZE,
    log: step.log,
    logError: step.logError,
  });
  step.stops.add('SQS event source', () => eventSource.stop(3_000));
}

/** The catalogue's EventBridge cron rules, putting their messages on the export queue; none with SCHEDULER=off. */
function startCronScheduler(step: Step, sqs: SQSClient, queueUrl: string): Scheduler | undefined {
  if (step.config.SCHEDULER === 'off') return undefined;
  const scheduler = startScheduler({
    schedules: SCHEDULES,
    nextRunTimes,
    send: async (message) => {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(message) }));
    },
    log: step.log,
    logError: step.logError,
  });
  step.stops.add('scheduler', () => scheduler.stop());
  return scheduler;
}

/** The stale-job sweeper, fed by the stack's rate rule every SWEEP_INTERVAL_SECONDS. */
async function startSweeper(step: Step, sweeperConfig: Config, notify: Notifiers): Promise<void> {
  const { createSweeperFromConfig } = await import('../functions/shared/sweeper.js');
  const { createSweepJobsHandler } = await import('../functions/handlers/sweep-jobs.js');
  const sweep = createSweepJobsHandler(
    once(() => createSweeperFromConfig(sweeperConfig, notify)),
  ) as unknown as ScheduledHandler;
  const stop = startSweepTimer({
    intervalSeconds: step.config.SWEEP_INTERVAL_SECONDS,
    sweep,
    logError: step.logError,
  });
  step.stops.add('stale-job sweeper', stop);
}

/** SES on one machine: the worker's outbox mailer writes `.eml` files; each new one is reported. */
async function startOutboxWatcher(step: Step, onEmail?: (email: OutboxEmail) => void): Promise<void> {
  const outbox = await watchOutbox(step.config.OUTBOX_DIR, (email) => onEmail?.(email), {
    logError: step.logError,
  });
  step.stops.add('outbox watcher', () => outbox.close());
}

/** Tokens for the demo user and admin, printed in the banner. */
async function demoTokens(jwtSecret: string): Promise<LocalRuntime['tokens']> {
  const ttlSeconds = BANNER_TOKEN_TTL_SECONDS;
  return {
    user: await createAccessToken(
      jwtSecret,
      { sub: DEMO_USER_ID, email: DEMO_USER_EMAIL, roles: ['user'] },
      { ttlSeconds },
    ),
    admin: await createAccessToken(
      jwtSecret,
      { sub: DEMO_ADMIN_ID, email: DEMO_ADMIN_EMAIL, roles: ['admin'] },
      { ttlSeconds },
    ),
    ttlSeconds,
  };
}

/** Writes `<LOCAL_DATA_DIR>/runtime.json`, which tools and the e2e tests wait for; removed on stop. */
async function writeRuntimeInfo(step: Step, info: RuntimeInfo): Promise<RuntimeInfo> {
  const file = path.join(step.config.LOCAL_DATA_DIR, RUNTIME_INFO_FILE);
  await writeFile(file, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  step.stops.add(RUNTIME_INFO_FILE, () => rm(file, { force: true }));
  return info;
}
