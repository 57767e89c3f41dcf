import type { S3Client } from '@aws-sdk/client-s3';
import type { Sql } from 'postgres';
import { DnsHostResolver } from '../adapters/http/dns-host-resolver.js';
import { PostgresAuditLog } from '../adapters/postgres/postgres-audit-log.js';
import { PostgresExportDatabase } from '../adapters/postgres/postgres-export-database.js';
import { PostgresExportJobs } from '../adapters/postgres/postgres-export-jobs.js';
import { PostgresJobLeases } from '../adapters/postgres/postgres-job-leases.js';
import { PostgresWebhookDeliveries } from '../adapters/postgres/postgres-webhook-deliveries.js';
import { PostgresWebhookStore } from '../adapters/postgres/postgres-webhook-store.js';
import type { BearerTokenVerifier } from '../domain/access/auth.js';
import type { ExportQueue } from '../domain/jobs/export-queue.js';
import type { HostResolver } from '../domain/webhooks/webhook-url.js';
import type { WebhookQueue } from '../domain/webhooks/webhooks.js';
import type { Config } from '../platform/config.js';
import { once } from '../platform/once.js';
import { rateLimiterOf } from './api/database.js';
import { storesOf } from './api/stores.js';
import { type ApiDeps, settingsOf } from './api-deps.js';
import { tokenVerifierFromEnv } from './token-verifier.js';
import { createSecretBox } from './webhook-secret-key.js';

export interface BuildApiDepsProps {
  readonly config: Config;
  readonly sql: Sql;
  readonly linkSecret: () => Promise<string>;
  readonly s3: S3Client;
  readonly queue: ExportQueue;
  /** The clock of the rate limiter, schedules and metrics (tests cross window edges with it). */
  readonly now?: () => Date;
  readonly tokens?: BearerTokenVerifier;
  /** The webhook delivery queue (test events). */
  readonly webhookQueue: WebhookQueue;
  /** @default the system resolver (tests resolve names their own way) */
  readonly resolver?: HostResolver;
}

/**
 * All the API's dependencies around one postgres.js pool and given clients, for the local runtime
 * (one process serving every route) and the tests. No I/O happens here.
 */
export function buildApiDeps(props: BuildApiDepsProps): ApiDeps {
  const { config: cfg, sql } = props;
  const now = props.now ?? (() => new Date());
  return Object.freeze({
    ...settingsOf(cfg),
    tokens: props.tokens ?? tokenVerifierFromEnv(cfg),
    jobs: new PostgresExportJobs(sql),
    leases: new PostgresJobLeases(sql),
    rateLimiter: rateLimiterOf(sql, cfg, now),
    audit: new PostgresAuditLog(sql),
    queue: props.queue,
    database: new PostgresExportDatabase(sql),
    storeFor: storesOf(props.s3, cfg.EXPORT_BUCKET),
    linkSecret: props.linkSecret,
    now,
    webhooks: new PostgresWebhookStore(sql),
    webhookDeliveries: new PostgresWebhookDeliveries(sql),
    webhookQueue: props.webhookQueue,
    secretBox: once(() => createSecretBox(cfg)),
    resolver: props.resolver ?? new DnsHostResolver(),
    webhookUrlPolicy: { allowLoopback: cfg.WEBHOOK_ALLOW_LOOPBACK },
  });
}
