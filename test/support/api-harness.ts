import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Sql } from 'postgres';
import { inject } from 'vitest';
import { createSqsClient } from '../../functions/adapters/sqs/client.js';
import { SqsExportQueue } from '../../functions/adapters/sqs/sqs-export-queue.js';
import { SqsWebhookQueue } from '../../functions/adapters/sqs/sqs-webhook-queue.js';
import { API_ROUTES, type RouteName } from '../../functions/api/api-routes.js';
import { BearerTokenVerifier } from '../../functions/domain/access/auth.js';
import type { ExportQueue } from '../../functions/domain/jobs/export-queue.js';
import type { HostResolver } from '../../functions/domain/webhooks/webhook-url.js';
import { createAuthorizer } from '../../functions/handlers/authorizer.js';
import { loadConfig } from '../../functions/platform/config.js';
import { buildApiDeps } from '../../functions/wiring/api-context.js';
import type { ApiDeps } from '../../functions/wiring/api-deps.js';
import { routeHandlers } from '../../local/route-handlers.js';
import {
  type ApiEventInit,
  type ApiHandler,
  type AuthorizerHandler,
  apiEvent,
  invoke,
  TEST_JWT_SECRET,
  TEST_LINK_SECRET,
  viaGateway,
} from './api-events.js';
import { serviceSql, testS3, testSql } from './services.js';

/** The key that seals webhook secrets in tests. */
export const TEST_WEBHOOK_SECRET_KEY = 'test-webhook-secret-key-0123456789abcdef';

/** A settable clock: the rate limiter, schedules and metrics read it. */
export class TestClock {
  constructor(public current = new Date()) {}
  readonly now = () => new Date(this.current.getTime());
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface ApiHarnessOptions {
  readonly rateLimitMax?: number;
  readonly rateLimitWindowSeconds?: number;
  readonly inlineLimitBytes?: number;
  readonly maxBodyBytes?: number;
  /** Replaces the real SQS queue (e.g. to make enqueueing fail). */
  readonly queue?: ExportQueue;
  readonly clock?: TestClock;
  /** `WEBHOOK_ALLOW_LOOPBACK`: the local runtime's webhook URL policy. @default false (AWS) */
  readonly webhookAllowLoopback?: boolean;
  /** Resolves webhook host names. @default the system resolver */
  readonly resolver?: HostResolver;
  /** Another Postgres than the shared test server (e.g. one a test restarts), and the API's client of it. */
  readonly database?: { readonly url: string; readonly sql: Sql };
}

export interface CallInit extends Omit<ApiEventInit, 'authorizer'> {
  /** A bearer token, or a raw `Authorization` header value; none when absent. */
  readonly token?: string;
}

/**
 * The API wired in-process against the real test Postgres and the S3/SQS emulator, as the
 * local runtime wires it: `buildApiDeps` with a real queue on a fresh SQS queue, each route's
 * handler built by its `createHandler`, and the real authorizer in front of authorised routes.
 */
export interface ApiHarness {
  readonly sql: Sql;
  readonly deps: ApiDeps;
  readonly clock: TestClock;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** The webhook delivery queue the test route sends to. */
  readonly webhookQueueUrl: string;
  readonly handlers: Readonly<Record<RouteName, ApiHandler>>;
  /** The real REQUEST authorizer, as the gateway runs it in front of bearer routes. */
  readonly authorizer: AuthorizerHandler;
  /** Calls a route as API Gateway would: through the authorizer unless the route has none. */
  call(route: RouteName, init?: CallInit): Promise<APIGatewayProxyResult>;
  close(): Promise<void>;
}

export async function startApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const endpoint = inject('awsEndpoint');
  const sqs = createSqsClient({ endpoint });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `api-test-${randomUUID()}` }));
  const webhookQueue = await sqs.send(new CreateQueueCommand({ QueueName: `api-webhooks-${randomUUID()}` }));
  const config = loadConfig({
    DATABASE_URL: options.database?.url ?? inject('databaseUrl'),
    EXPORT_BUCKET: inject('bucket'),
    S3_ENDPOINT: endpoint,
    SQS_ENDPOINT: endpoint,
    EXPORT_QUEUE_URL: QueueUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    LINK_SECRET: TEST_LINK_SECRET,
    PUBLIC_API_URL: 'https://api.example.com/test',
    RATE_LIMIT_MAX: String(options.rateLimitMax ?? 5),
    RATE_LIMIT_WINDOW_SECONDS: String(options.rateLimitWindowSeconds ?? 900),
    INLINE_LIMIT_BYTES: String(options.inlineLimitBytes ?? 1024 * 1024),
    MAX_BODY_BYTES: String(options.maxBodyBytes ?? 16 * 1024),
    WEBHOOK_QUEUE_URL: webhookQueue.QueueUrl,
    WEBHOOK_SECRET_KEY: TEST_WEBHOOK_SECRET_KEY,
    WEBHOOK_ALLOW_LOOPBACK: String(options.webhookAllowLoopback ?? false),
  });
  const clock = options.clock ?? new TestClock();
  const sql = options.database?.sql ?? testSql();
  // The handlers connect as the API's least-privilege login, as in AWS; `sql` (the owner) arranges
  // fixtures and reads results. A database of the test's own is used through the client it gives.
  const apiSql = options.database?.sql ?? serviceSql('api');
  const deps = buildApiDeps({
    config,
    sql: apiSql,
    linkSecret: async () => TEST_LINK_SECRET,
    s3: testS3(),
    now: clock.now,
    queue: options.queue ?? new SqsExportQueue({ client: sqs, queueUrl: QueueUrl! }),
    webhookQueue: new SqsWebhookQueue({ client: sqs, queueUrl: webhookQueue.QueueUrl! }),
    ...(options.resolver && { resolver: options.resolver }),
  });
  const handlers = routeHandlers(() => deps) as Record<RouteName, ApiHandler>;
  const verifier = new BearerTokenVerifier({ secret: TEST_JWT_SECRET });
  const authorizer = createAuthorizer(() => verifier);
  return {
    sql,
    deps,
    clock,
    sqs,
    queueUrl: QueueUrl!,
    webhookQueueUrl: webhookQueue.QueueUrl!,
    handlers,
    authorizer: authorizer as unknown as AuthorizerHandler,
    call(route, init = {}) {
      const { token, ...rest } = init;
      const headers = {
        ...rest.headers,
        ...(token !== undefined && { Authorization: token.includes(' ') ? token : `Bearer ${token}` }),
      };
      const event = { method: API_ROUTES[route].method.toUpperCase(), ...rest, headers };
      return API_ROUTES[route].auth === 'bearer'
        ? viaGateway(authorizer, handlers[route], event)
        : invoke(handlers[route], apiEvent(event));
    },
    async close() {
      await Promise.all([...new Set([sql, apiSql])].map((client) => client.end()));
      sqs.destroy();
    },
  };
}
