import type { S3Client } from '@aws-sdk/client-s3';
import type { Sql } from 'postgres';
import * as z from 'zod/mini';
import { PostgresAuditLog } from '../adapters/postgres-audit-log.js';
import { PostgresExportDatabase } from '../adapters/postgres-export-database.js';
import { PostgresExportJobs } from '../adapters/postgres-export-jobs.js';
import { PostgresJobLeases } from '../adapters/postgres-job-leases.js';
import { PostgresRateLimiter } from '../adapters/postgres-rate-limiter.js';
import { createS3Client, S3ObjectStore } from '../adapters/s3-object-store.js';
import { createSqsClient, SqsExportQueue } from '../adapters/sqs-export-queue.js';
import type { AuditLog } from '../domain/audit-log.js';
import { BearerTokenVerifier } from '../domain/auth.js';
import type { ExportJobs } from '../domain/export-jobs.js';
import type { ExportQueue } from '../domain/export-queue.js';
import type { JobLeases } from '../domain/job-leases.js';
import type { ExportDatabase, ObjectStore } from '../domain/ports.js';
import type { RateLimiter } from '../domain/rate-limit.js';
import { type Config, config } from './config.js';
import { databaseConnection, lambdaSql } from './lambda-sql.js';
import { resolveLinkSecret } from './secrets.js';

/** Settings the API's use cases read (from `Config`). */
export interface ApiSettings {
  readonly bucket: string;
  readonly publicApiUrl: string;
  readonly inlineLimitBytes: number;
  readonly maxBodyBytes: number;
  readonly downloadUrlTtlSeconds: number;
}

/** Everything the HTTP handlers need; built once per cold start (or by a test / the local runtime). */
export interface ApiDeps {
  readonly settings: ApiSettings;
  /** Verifies bearer tokens where no authorizer ran (the download route). */
  readonly tokens: BearerTokenVerifier;
  readonly jobs: ExportJobs;
  readonly leases: JobLeases;
  readonly rateLimiter: RateLimiter;
  readonly audit: AuditLog;
  readonly queue: ExportQueue;
  readonly database: ExportDatabase;
  /** The object store of a bucket; `undefined` is `EXPORT_BUCKET`. */
  readonly storeFor: (bucket?: string) => ObjectStore;
  /** Resolved on first use: only the download route verifies link tokens. */
  readonly linkSecret: () => Promise<string>;
  readonly now: () => Date;
  // Derived views the use cases take directly.
  readonly publicApiUrl: string;
  readonly inlineLimitBytes: number;
  readonly downloadUrlTtlSeconds: number;
  readonly bucket: string;
}

/**
 * Ceiling of `INLINE_LIMIT_BYTES`: Lambda's synchronous response payload is 6 MB, and an inline
 * body grows in it by a third as base64 (zips) or by JSON escaping (text), plus headers.
 */
export const MAX_INLINE_BYTES = 4_000_000;

/** The JWT settings, parsed on their own so the authorizer needs no database or bucket configuration. */
const JwtEnv = z.object({
  JWT_SECRET: z.optional(z.string()),
  JWT_JWKS_URL: z.optional(z.string()),
  JWT_ISSUER: z.optional(z.string()),
  JWT_AUDIENCE: z.optional(z.string()),
});

/**
 * The bearer token verifier from `JWT_SECRET` (HS256: local runtime, tests) or `JWT_JWKS_URL` +
 * `JWT_ISSUER` (+ `JWT_AUDIENCE`) in AWS. Build it once: it caches the provider's keys.
 */
export function tokenVerifierFromEnv(
  env: NodeJS.ProcessEnv | Partial<Config> = process.env,
): BearerTokenVerifier {
  const jwt = z.parse(JwtEnv, env);
  const blank = (v: string | undefined) => (v === '' ? undefined : v);
  const secret = blank(jwt.JWT_SECRET);
  const jwksUrl = blank(jwt.JWT_JWKS_URL);
  const issuer = blank(jwt.JWT_ISSUER);
  const audience = blank(jwt.JWT_AUDIENCE);
  if (!secret && !(jwksUrl && issuer))
    throw new Error('invalid configuration: set JWT_SECRET or JWT_JWKS_URL and JWT_ISSUER');
  return new BearerTokenVerifier({
    ...(secret ? { secret } : { jwksUrl: jwksUrl! }),
    ...(issuer && { issuer }),
    ...(audience && { audience }),
  });
}

export interface BuildApiDepsProps {
  readonly config: Config;
  readonly sql: Sql;
  readonly linkSecret: () => Promise<string>;
  readonly s3?: S3Client;
  /** The export queue; default SQS at `EXPORT_QUEUE_URL` (the local runtime passes its own). */
  readonly queue?: ExportQueue;
  /** The clock of the rate limiter, schedules and metrics (tests cross window edges with it). */
  readonly now?: () => Date;
  readonly tokens?: BearerTokenVerifier;
}

/** Wires the adapters around one postgres.js client. No I/O happens here. */
export function buildApiDeps(props: BuildApiDepsProps): ApiDeps {
  const { config: cfg, sql } = props;
  const now = props.now ?? (() => new Date());
  const s3 = props.s3 ?? createS3Client({ endpoint: cfg.S3_ENDPOINT, region: cfg.AWS_REGION });
  let queue = props.queue;
  if (!queue) {
    if (!cfg.EXPORT_QUEUE_URL)
      throw new Error('invalid configuration: EXPORT_QUEUE_URL: required by the API');
    queue = new SqsExportQueue({
      client: createSqsClient({ endpoint: cfg.SQS_ENDPOINT, region: cfg.AWS_REGION }),
      queueUrl: cfg.EXPORT_QUEUE_URL,
    });
  }
  const stores = new Map<string, ObjectStore>();
  const storeFor = (bucket: string = cfg.EXPORT_BUCKET): ObjectStore => {
    let store = stores.get(bucket);
    if (!store) {
      store = new S3ObjectStore({ client: s3, bucket });
      stores.set(bucket, store);
    }
    return store;
  };
  const settings: ApiSettings = {
    bucket: cfg.EXPORT_BUCKET,
    publicApiUrl: cfg.PUBLIC_API_URL,
    inlineLimitBytes: Math.min(cfg.INLINE_LIMIT_BYTES, MAX_INLINE_BYTES),
    maxBodyBytes: cfg.MAX_BODY_BYTES,
    downloadUrlTtlSeconds: cfg.DOWNLOAD_URL_TTL_SECONDS,
  };
  return Object.freeze({
    settings,
    ...settings,
    tokens: props.tokens ?? tokenVerifierFromEnv(cfg),
    jobs: new PostgresExportJobs(sql),
    leases: new PostgresJobLeases(sql),
    rateLimiter: new PostgresRateLimiter(sql, {
      max: cfg.RATE_LIMIT_MAX,
      windowSeconds: cfg.RATE_LIMIT_WINDOW_SECONDS,
      now,
    }),
    audit: new PostgresAuditLog(sql),
    queue,
    database: new PostgresExportDatabase(sql),
    storeFor,
    linkSecret: props.linkSecret,
    now,
  });
}

/** Builds the API's dependencies from the environment: config, secrets, one pooled connection, clients. */
export async function createApiDeps(cfg: Config = config()): Promise<ApiDeps> {
  let linkSecret: Promise<string> | undefined;
  return buildApiDeps({
    config: cfg,
    sql: lambdaSql(databaseConnection(cfg)),
    linkSecret: () => {
      linkSecret ??= resolveLinkSecret(cfg).catch((error: unknown) => {
        linkSecret = undefined;
        throw error;
      });
      return linkSecret;
    },
  });
}

let current: Promise<ApiDeps> | undefined;

/**
 * The process-wide dependencies, created on first use (once per cold start). A failed creation is
 * not cached, so the next request retries it.
 */
export function apiDeps(): Promise<ApiDeps> {
  if (!current) {
    const created = createApiDeps();
    current = created;
    created.catch(() => {
      if (current === created) current = undefined;
    });
  }
  return current;
}

/** Replaces the process-wide dependencies (local runtime with its own queue, tests). */
export function setApiDeps(deps: ApiDeps | Promise<ApiDeps> | undefined): void {
  current = deps === undefined ? undefined : Promise.resolve(deps);
}
