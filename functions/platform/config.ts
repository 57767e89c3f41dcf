import * as z from 'zod/mini';
import { DEFAULT_AWS_REGION } from '../adapters/aws/client-config.js';
import { type IntSetting, SETTINGS, type SettingName } from './settings.js';

/** The sender of the service's emails unless `MAIL_FROM` names another. */
export const DEFAULT_MAIL_FROM = 'Data Export <exports@example.com>';

/** A whole number within a setting's bounds, its default when unset (see `settings.ts`). */
const setting = ({ min, max, default: fallback }: IntSetting) =>
  z._default(z.pipe(z.coerce.number(), z.int().check(z.gte(min), z.lte(max))), fallback);
const SETTING_SCHEMAS = Object.fromEntries(
  Object.entries(SETTINGS).map(([name, declared]) => [name, setting(declared)]),
) as { [K in SettingName]: ReturnType<typeof setting> };
const int = (fallback: number) =>
  z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), fallback);
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
    AWS_REGION: z._default(z.string(), DEFAULT_AWS_REGION),
    JWT_SECRET: optionalString,
    JWT_JWKS_URL: optionalString,
    JWT_ISSUER: optionalString,
    JWT_AUDIENCE: optionalString,
    LINK_SECRET: optionalString,
    LINK_SECRET_ARN: optionalString,
    MAIL_FROM: z._default(z.string(), DEFAULT_MAIL_FROM),
    PUBLIC_API_URL: z._default(z.url(), 'http://localhost:3000'),
    /** The whole-number settings: defaults, bounds and meanings in `settings.ts`. */
    ...SETTING_SCHEMAS,
    /** SES configuration set for delivery events (AWS only). */
    SES_CONFIGURATION_SET: optionalString,
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
