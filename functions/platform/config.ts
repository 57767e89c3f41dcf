import * as z from 'zod/mini';
import { MAX_LINK_TTL_SECONDS } from '../domain/access/link-token.js';
import { DEFAULT_CHUNK_ROWS, DEFAULT_SNAPSHOT_READERS } from '../domain/worker/chunks/chunk-plan.js';

/** The sender of the service's emails unless `MAIL_FROM` names another. */
export const DEFAULT_MAIL_FROM = 'Data Export <exports@example.com>';

const positiveInt = z.pipe(z.coerce.number(), z.int().check(z.positive()));
const int = (fallback: number) => z._default(positiveInt, fallback);
const optionalString = z.pipe(
  z.optional(z.string()),
  z.transform((v) => (v === '' ? undefined : v)),
);

/**
 * Every environment variable the service reads (docs/configuration.md). Secrets are given either as plain
 * values (local runtime and tests: DATABASE_URL, JWT_SECRET, LINK_SECRET) or, in AWS, not at all
 * for the database (IAM authentication, see `lambda-sql.ts`) and as a Secrets Manager ARN for the
 * link secret (LINK_SECRET_ARN, resolved by `secrets.ts`), set only on the functions that sign or
 * verify links.
 */
export const ConfigSchema = z
  .object({
    /** A connection string with credentials (local runtime, tests). */
    DATABASE_URL: optionalString,
    /** In AWS instead: the endpoint (a cluster, instance or RDS Proxy) and the function's login, with IAM auth. */
    DATABASE_HOST: optionalString,
    DATABASE_PORT: int(5432),
    DATABASE_NAME: z._default(z.string().check(z.minLength(1)), 'postgres'),
    DATABASE_USER: optionalString,
    EXPORT_BUCKET: z.string().check(z.minLength(3)),
    S3_ENDPOINT: optionalString,
    SQS_ENDPOINT: optionalString,
    EXPORT_QUEUE_URL: optionalString,
    AWS_REGION: z._default(z.string(), 'us-east-1'),
    JWT_SECRET: optionalString,
    JWT_JWKS_URL: optionalString,
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
    LINK_SECRET: optionalString,
    LINK_SECRET_ARN: optionalString,
    MAIL_FROM: z._default(z.string(), DEFAULT_MAIL_FROM),
    PUBLIC_API_URL: z._default(z.url(), 'http://localhost:3000'),
    RATE_LIMIT_MAX: int(5),
    RATE_LIMIT_WINDOW_SECONDS: int(900),
    INLINE_LIMIT_BYTES: int(1024 * 1024),
    LINK_TTL_SECONDS: z._default(positiveInt.check(z.lte(MAX_LINK_TTL_SECONDS)), 7 * 24 * 3600),
    DOWNLOAD_URL_TTL_SECONDS: int(300),
    MAX_BODY_BYTES: int(16 * 1024),
    LEASE_SECONDS: int(120),
    /** The export queue's redrive `maxReceiveCount`: the worker fails a job on its last receive. */
    MAX_RECEIVE_COUNT: int(5),
    /**
     * The export queue's visibility timeout: how long SQS waits before redelivering a failed
     * message (6 × the worker timeout in the stack). The sweeper leaves a released job to that
     * redelivery for this long before re-enqueuing it.
     */
    QUEUE_VISIBILITY_TIMEOUT_SECONDS: int(6 * 900),
    /** How long a job may sit `queued`, or hold an expired lease, before the sweeper acts. */
    SWEEP_GRACE_SECONDS: int(300),
    /**
     * Multipart part size of export uploads. Memory grows with it (≈ 4 parts), and S3's 10,000-part
     * limit caps one object at 10,000 × this (5 MiB: 48.8 GiB; 16 MiB: 156 GiB).
     */
    UPLOAD_PART_SIZE_MIB: int(5),
    /**
     * A table with more (estimated) rows than this is split into primary-key ranges, each a chunk
     * run by its own worker invocation (docs/chunked-exports.md).
     */
    CHUNK_ROWS: int(DEFAULT_CHUNK_ROWS),
    /**
     * Connections a `snapshot` job reads its chunks on at once, inside one invocation, besides the
     * one that holds the shared snapshot (docs/chunked-exports.md).
     */
    SNAPSHOT_READERS: int(DEFAULT_SNAPSHOT_READERS),
    /** SES configuration set for delivery events (AWS only). */
    SES_CONFIGURATION_SET: optionalString,
    /** How long after a job finished the sweeper resends an outcome email or event not recorded as sent. */
    NOTIFY_GRACE_SECONDS: int(60),
    /** The EventBridge bus outcome events go to (worker and sweeper). */
    EVENT_BUS_NAME: optionalString,
    /** The webhook delivery queue (the delivery function fans out to it; the test route sends to it). */
    WEBHOOK_QUEUE_URL: optionalString,
    /** The key that seals webhook signing secrets: plain locally, a Secrets Manager ARN in AWS. */
    WEBHOOK_SECRET_KEY: optionalString,
    WEBHOOK_SECRET_KEY_ARN: optionalString,
    /**
     * `true` lets webhook URLs be `http://` and resolve to loopback addresses (the local runtime);
     * otherwise they must be https and resolve to public addresses only.
     */
    WEBHOOK_ALLOW_LOOPBACK: z.pipe(
      z._default(z.enum(['true', 'false']), 'false'),
      z.transform((v) => v === 'true'),
    ),
    /** First retry delay of a failed webhook delivery; each next one is 4× longer (at most 12 h). */
    WEBHOOK_RETRY_BASE_SECONDS: z._default(z.pipe(z.coerce.number(), z.int().check(z.gte(0))), 30),
    /** Delivery attempts before a delivery is given up and its message goes to the DLQ (the queue's maxReceiveCount). */
    WEBHOOK_MAX_ATTEMPTS: int(8),
  })
  .check(
    z.superRefine((env, ctx) => {
      if (!env.DATABASE_URL && !(env.DATABASE_HOST && env.DATABASE_USER))
        ctx.addIssue({
          code: 'custom',
          path: ['DATABASE_URL'],
          message: 'set DATABASE_URL, or DATABASE_HOST and DATABASE_USER (IAM authentication)',
        });
      if (!env.JWT_SECRET && !(env.JWT_JWKS_URL && env.JWT_ISSUER))
        ctx.addIssue({
          code: 'custom',
          path: ['JWT_SECRET'],
          message: 'set JWT_SECRET or JWT_JWKS_URL and JWT_ISSUER',
        });
    }),
  );

export type Config = Readonly<z.output<typeof ConfigSchema>>;

/** Parses `env` once; throws naming every missing or invalid key, so a cold start fails loudly. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = z.safeParse(ConfigSchema, env);
  if (!result.success) {
    const problems = result.error.issues
      .map((i) => `${i.path.map(String).join('.') || 'env'}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  return Object.freeze(result.data);
}

let cached: Config | undefined;
/** The process-wide configuration, parsed on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}
