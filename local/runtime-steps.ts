import { pathToFileURL } from 'node:url';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import postgres from 'postgres';
import { createS3Client } from '../functions/adapters/s3/client.js';
import { SqsExportQueue } from '../functions/adapters/sqs/sqs-export-queue.js';
import { SqsWebhookQueue } from '../functions/adapters/sqs/sqs-webhook-queue.js';
import type { RouteName } from '../functions/api/api-routes.js';
import type { EventPublisher } from '../functions/domain/notifications/export-events.js';
import type { Mailer } from '../functions/domain/notifications/mailer.js';
import { nextRunTimes } from '../functions/domain/schedules/eventbridge-cron.js';
import { SCHEDULES } from '../functions/domain/schedules/schedule-catalogue.js';
import type { Config } from '../functions/platform/config.js';
import { once } from '../functions/platform/once.js';
import { SERVICE_NAME } from '../functions/platform/service-identity.js';
import { CONSOLE_DIST_DIR } from '../lib/console-site.js';
import { handlerEntryPath } from '../lib/handler-entries.js';
import type { BackingServices, ExportQueues } from './backing-services.js';
import { consoleFiles } from './console-files.js';
import { startSqsEventSource } from './event-source.js';
import { type AuthorizerHandler, type GatewayRoute, type ProxyHandler, startGateway } from './gateway.js';
import { gatewayRoutes } from './gateway-routes.js';
import { LOCAL_EVENT_BUS_NAME } from './local-event-bus.js';
import type { LocalSecrets } from './local-secrets.js';
import { type OutboxEmail, watchOutbox } from './outbox.js';
import type { RouteHandler } from './route-handlers.js';
import type { LocalConfig } from './runtime-config.js';
import { type Scheduler, startScheduler } from './scheduler.js';
import type { StopList } from './stop-list.js';
import { type ScheduledHandler, startSweepTimer } from './sweep-timer.js';
import { startWorkerProcesses } from './worker-processes.js';

// The local runtime's start-up steps that load and wire the Lambda handlers: the environment they
// read at cold start, the API behind the local gateway, the worker's execution environments, the
// cron scheduler, the sweeper and the outbox watcher (`runtime.ts` runs them in order).

/** What every start-up step needs: the settings, the list its stop goes on, and where to log. */
export interface Step {
  readonly config: LocalConfig;
  readonly stops: StopList;
  readonly log: (line: string) => void;
  readonly logError: (message: string, error: unknown) => void;
}

/** What tells the world about outcomes, locally. */
export interface Notifiers {
  readonly mailer: Mailer;
  readonly events: EventPublisher;
}

/**
 * Sets the environment the handlers read at cold start (functions/platform/config.ts and the
 * Powertools instances), then loads their config: every handler module is imported after this.
 */
export async function setHandlerEnvironment(
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
  const { config: handlerConfig } = await import('../functions/platform/config.js');
  return handlerConfig();
}

/**
 * The API handlers' dependencies, on one small pool: one Lambda holds one connection, but the
 * gateway serves concurrent requests in one process (as several Lambda instances would).
 */
export async function wireApiHandlers(
  step: Step,
  handlerConfig: Config,
  secrets: LocalSecrets,
  aws: {
    readonly s3Endpoint: string;
    readonly sqs: SQSClient;
    readonly queueUrl: string;
    readonly webhookQueueUrl: string;
  },
): Promise<Readonly<Record<RouteName, RouteHandler>>> {
  const { buildApiDeps } = await import('../functions/wiring/api-context.js');
  const { routeHandlers } = await import('./route-handlers.js');
  const sql = postgres(handlerConfig.DATABASE_URL!, {
    max: 8,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: () => {},
  });
  step.stops.add('API connections', () => sql.end({ timeout: 2 }));
  const deps = buildApiDeps({
    config: handlerConfig,
    sql,
    linkSecret: async () => secrets.linkSecret,
    s3: createS3Client({ endpoint: aws.s3Endpoint, region: handlerConfig.AWS_REGION }),
    queue: new SqsExportQueue({ client: aws.sqs, queueUrl: aws.queueUrl }),
    webhookQueue: new SqsWebhookQueue({ client: aws.sqs, queueUrl: aws.webhookQueueUrl }),
  });
  // One process serves every route: each route's own factory, over one set of dependencies.
  return routeHandlers(() => deps);
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
export async function startApiGateway(
  step: Step,
  port: number,
  apiKey: string,
  handlers: Readonly<Record<RouteName, RouteHandler>>,
): Promise<void> {
  const { config } = step;
  const authorizer = once(() => importHandler<AuthorizerHandler>(handlerEntryPath('authorizer')));
  const routes: GatewayRoute[] = gatewayRoutes((name) => async () => handlers[name] as ProxyHandler);
  await authorizer();
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
export async function startWorkers(
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
export function startCronScheduler(step: Step, sqs: SQSClient, queueUrl: string): Scheduler | undefined {
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
export async function startSweeper(step: Step, sweeperConfig: Config, notify: Notifiers): Promise<void> {
  const { createSweeperFromConfig } = await import('../functions/wiring/sweeper.js');
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
export async function startOutboxWatcher(step: Step, onEmail?: (email: OutboxEmail) => void): Promise<void> {
  const outbox = await watchOutbox(step.config.OUTBOX_DIR, (email) => onEmail?.(email), {
    logError: step.logError,
  });
  step.stops.add('outbox watcher', () => outbox.close());
}
