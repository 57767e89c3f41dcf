import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SERVICE_ROLES, serviceUrl } from '../db/service-roles.js';
import { OutboxMailer } from '../functions/adapters/mail/outbox-mailer.js';
import { createAccessToken } from '../functions/domain/access/auth.js';
import { HANDLERS, type HandlerName } from '../functions/wiring/handlers.js';
import {
  createExportQueues,
  ensureBucket,
  migrateAndSeed,
  startBackingServices,
} from './backing-services.js';
import { DEMO_ADMIN_EMAIL, DEMO_ADMIN_ID, DEMO_USER_EMAIL, DEMO_USER_ID } from './demo/identities.js';
import { freePort } from './embedded-postgres.js';
import { LocalEventBus } from './local-event-bus.js';
import { loadLocalSecrets, RUNTIME_INFO_FILE, type RuntimeInfo } from './local-secrets.js';
import type { OutboxEmail } from './outbox.js';
import type { LocalConfig } from './runtime-config.js';
import {
  type Notifiers,
  type Step,
  setHandlerEnvironment,
  startApiGateway,
  startCronScheduler,
  startOutboxWatcher,
  startSweeper,
  startWorkers,
  wireApiHandlers,
} from './runtime-steps.js';
import { StopList } from './stop-list.js';
import { createWebhookQueues, startWebhookDelivery } from './webhook-delivery.js';

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

/**
 * Starts the whole service on one machine (docs/local-runtime.md), step by step; each step
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
    // Each function connects as the login its declaration names (functions/wiring/handlers.ts), as in AWS.
    const login = (name: HandlerName) => {
      const kind = HANDLERS[name].needs.login;
      if (!kind) throw new Error(`${name} declares no database login`);
      return serviceUrl(services.databaseUrl, SERVICE_ROLES[kind], secrets.databasePassword);
    };

    const handlerConfig = await setHandlerEnvironment(options.env, {
      config,
      services,
      queues,
      secrets,
      apiUrl,
      databaseUrl: login('getJob'),
    });
    const webhookQueues = await createWebhookQueues(sqs, handlerConfig.WEBHOOK_MAX_ATTEMPTS);
    const apiHandlers = await wireApiHandlers(step, handlerConfig, secrets, {
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
    await startApiGateway(step, port, secrets.apiKey, apiHandlers);
    await startWorkers(step, { ...handlerConfig, DATABASE_URL: login('exportWorker') }, sqs, queues, {
      eventsFile: eventsFile(config),
      webhookQueueUrl: webhookQueues.queueUrl,
    });
    const scheduler = startCronScheduler(step, sqs, queues.queueUrl);
    await startSweeper(step, { ...handlerConfig, DATABASE_URL: login('sweepJobs') }, notify);
    const delivery = await startWebhookDelivery({
      config: {
        ...handlerConfig,
        DATABASE_URL: login('webhookDelivery'),
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
