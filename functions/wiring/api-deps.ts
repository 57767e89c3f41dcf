import type { AuditLog } from '../domain/access/audit-log.js';
import type { BearerTokenVerifier } from '../domain/access/auth.js';
import type { RateLimiter } from '../domain/access/rate-limit.js';
import type { ExportDatabase, ObjectDownloads } from '../domain/engine/ports.js';
import type { ExportJobs } from '../domain/jobs/export-jobs.js';
import type { ExportQueue } from '../domain/jobs/export-queue.js';
import type { JobLeases } from '../domain/jobs/job-leases.js';
import type { HostResolver, WebhookUrlPolicy } from '../domain/webhooks/webhook-url.js';
import type {
  SecretBox,
  WebhookDeliveries,
  WebhookQueue,
  WebhookStore,
} from '../domain/webhooks/webhooks.js';
import type { Config } from '../platform/config.js';

/** Settings the API's use cases read, from `Config`. */
export interface ApiSettings {
  /** `EXPORT_BUCKET`. */
  readonly bucket: string;
  readonly publicApiUrl: string;
  readonly inlineLimitBytes: number;
  readonly maxBodyBytes: number;
  readonly downloadUrlTtlSeconds: number;
}

/** Everything the HTTP handlers may need; each handler takes the part it uses. */
export interface ApiDeps extends ApiSettings {
  /** Verifies bearer tokens where no authorizer ran (the download route). */
  readonly tokens: BearerTokenVerifier;
  readonly jobs: ExportJobs;
  readonly leases: JobLeases;
  readonly rateLimiter: RateLimiter;
  readonly audit: AuditLog;
  readonly queue: ExportQueue;
  readonly database: ExportDatabase;
  /** The downloads of a bucket's objects; `undefined` is `EXPORT_BUCKET`. */
  readonly storeFor: (bucket?: string) => ObjectDownloads;
  /** Resolved on first use: only the download route verifies link tokens. */
  readonly linkSecret: () => Promise<string>;
  readonly now: () => Date;
  readonly webhooks: WebhookStore;
  readonly webhookDeliveries: WebhookDeliveries;
  /** The webhook delivery queue (test events). */
  readonly webhookQueue: WebhookQueue;
  /** Resolved on first use: only registration seals a secret. */
  readonly secretBox: () => Promise<SecretBox>;
  readonly resolver: HostResolver;
  readonly webhookUrlPolicy: WebhookUrlPolicy;
}

/** The API's settings from its configuration. */
export function settingsOf(cfg: Config): ApiSettings {
  return {
    bucket: cfg.EXPORT_BUCKET,
    publicApiUrl: cfg.PUBLIC_API_URL,
    inlineLimitBytes: cfg.INLINE_LIMIT_BYTES,
    maxBodyBytes: cfg.MAX_BODY_BYTES,
    downloadUrlTtlSeconds: cfg.DOWNLOAD_URL_TTL_SECONDS,
  };
}
