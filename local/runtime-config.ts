import path from 'node:path';
import { z } from 'zod';
import {
  MAX_LAMBDA_TIMEOUT_SECONDS,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  SETTINGS,
  visibilityTimeoutFor,
} from '../functions/platform/settings.js';
import { LOCAL_REGION } from './lambda-context.js';
import { localDataDir } from './local-secrets.js';

/** An empty variable is an unset one: `PORT= npm start` is `npm start`. */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

/** A whole number from `min` to `max`; the message names the range, the caller names the variable. */
function wholeNumber(min: number, max: number) {
  const message =
    max === Number.MAX_SAFE_INTEGER
      ? `must be a whole number from ${min} up`
      : `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: message }).int(message).min(min, message).max(max, message);
}

const whole = (fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(unsetIfEmpty, wholeNumber(min, max).default(fallback));
const optionalWhole = (min: number, max: number) =>
  z.preprocess(unsetIfEmpty, wholeNumber(min, max).optional());
const optionalText = z.preprocess(unsetIfEmpty, z.string().optional());
const optionalUrl = z.preprocess(unsetIfEmpty, z.url('must be a URL').optional());
/** 0 or unset: a free port, chosen at start. */
const portOrFree = optionalWhole(0, 65_535).transform((port) => (port === 0 ? undefined : port));

/** A timer longer than this (setInterval's 2^31 − 1 ms) would fire at once. */
const MAX_INTERVAL_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const MIB = 1024 * 1024;

/**
 * Every setting of the local runtime (`npm start`), read once from the environment: its own
 * (ports, emulated limits, timers) and the service variables whose local default it chooses. The
 * table in docs/local-runtime.md documents these keys and a test holds the two in step. Numbers refuse 0
 * wherever 0 would stall the runtime (no pollers, no time, no requests); only ports take 0, for a
 * free one. Other service variables (RATE_LIMIT_MAX, LEASE_SECONDS, …) go to the handlers as they
 * are and are checked by `functions/platform/config.ts` when the handlers load.
 */
export const LocalConfigSchema = z
  .object({
    /** API port; 0 picks a free one. */
    PORT: whole(3000, 0, 65_535),
    /** Interface the API listens on. */
    HOST: z.preprocess(unsetIfEmpty, z.string().default('127.0.0.1')),
    /** Postgres data, secrets, outbox and `runtime.json`; relative to the working directory. @default `<repo>/.local` */
    LOCAL_DATA_DIR: optionalText.transform((dir) => localDataDir({ LOCAL_DATA_DIR: dir })),
    /** An existing database (migrations run; no demo data when `users` exists). @default embedded Postgres */
    DATABASE_URL: optionalUrl,
    /** Another S3-compatible endpoint (the bucket is created there). @default fauxqs */
    S3_ENDPOINT: optionalUrl,
    /** Another SQS-compatible endpoint (the queues are created there). @default fauxqs */
    SQS_ENDPOINT: optionalUrl,
    /** Fixed port of the embedded Postgres. @default a free port */
    LOCAL_PG_PORT: portOrFree,
    /** Fixed port of fauxqs. @default a free port */
    LOCAL_AWS_PORT: portOrFree,
    EXPORT_BUCKET: z.preprocess(unsetIfEmpty, z.string().min(3).max(63).default('data-exports')),
    AWS_REGION: z.preprocess(unsetIfEmpty, z.string().default(LOCAL_REGION)),
    /** Credentials for the S3/SQS endpoints; fauxqs accepts any. */
    AWS_ACCESS_KEY_ID: z.preprocess(unsetIfEmpty, z.string().default('local')),
    AWS_SECRET_ACCESS_KEY: z.preprocess(unsetIfEmpty, z.string().default('local')),
    /** Override the generated secrets of `<LOCAL_DATA_DIR>/secrets.json` (not persisted). */
    EXPORT_API_KEY: optionalText,
    JWT_SECRET: optionalText,
    LINK_SECRET: optionalText,
    /** Where emails land. @default `<LOCAL_DATA_DIR>/outbox` */
    OUTBOX_DIR: optionalText,
    /** Base of emailed links. @default `http://<HOST>:<PORT>` once the port is known */
    PUBLIC_API_URL: optionalUrl,
    /** The worker's Lambda timeout: its remaining-time budget per invocation. */
    WORKER_TIMEOUT_SECONDS: whole(MAX_LAMBDA_TIMEOUT_SECONDS, 1, MAX_LAMBDA_TIMEOUT_SECONDS),
    /** @default 6 × WORKER_TIMEOUT_SECONDS, as the stack sets it (`visibilityTimeoutFor`) */
    QUEUE_VISIBILITY_TIMEOUT_SECONDS: optionalWhole(1, MAX_VISIBILITY_TIMEOUT_SECONDS),
    /** Receives before the DLQ. */
    MAX_RECEIVE_COUNT: whole(
      SETTINGS.MAX_RECEIVE_COUNT.default,
      SETTINGS.MAX_RECEIVE_COUNT.min,
      SETTINGS.MAX_RECEIVE_COUNT.max,
    ),
    /** Concurrent pollers, each its own "execution environment". */
    WORKER_CONCURRENCY: whole(2),
    /** Records per worker invocation (the event source mapping's batch size). */
    WORKER_BATCH_SIZE: whole(1, 1, 10),
    /** The usage plan (the dev stage's values): requests per second per API key. */
    API_THROTTLE_RATE: whole(10),
    API_THROTTLE_BURST: whole(20),
    API_QUOTA_PER_DAY: whole(5000),
    /** The gateway's payload limit, at most API Gateway's (the handlers' own MAX_BODY_BYTES is smaller). */
    API_MAX_BODY_BYTES: whole(10 * MIB, 1, 10 * MIB),
    /** `off` disables the cron timers. */
    SCHEDULER: z.preprocess(unsetIfEmpty, z.enum(['on', 'off'], 'must be on or off').default('on')),
    /** How often the stale-job sweeper runs (the stack's rate(5 minutes) rule). */
    SWEEP_INTERVAL_SECONDS: whole(300, 1, MAX_INTERVAL_SECONDS),
    /** The handlers' log level; INFO shows every request and message. */
    POWERTOOLS_LOG_LEVEL: z.preprocess(
      (value) => (typeof value === 'string' && value !== '' ? value.toUpperCase() : undefined),
      z
        .enum(
          ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'],
          'must be a Powertools log level',
        )
        .default('WARN'),
    ),
  })
  .transform((settings) => ({
    ...settings,
    QUEUE_VISIBILITY_TIMEOUT_SECONDS:
      settings.QUEUE_VISIBILITY_TIMEOUT_SECONDS ?? visibilityTimeoutFor(settings.WORKER_TIMEOUT_SECONDS),
    OUTBOX_DIR: path.resolve(settings.OUTBOX_DIR ?? path.join(settings.LOCAL_DATA_DIR, 'outbox')),
  }));

/** The local runtime's settings, defaults applied. */
export type LocalConfig = Readonly<z.output<typeof LocalConfigSchema>>;

/** Settings that cannot be used; the message names each variable, its problem and its value. */
export class InvalidSettingsError extends Error {
  override readonly name = 'InvalidSettingsError';
}

/**
 * Parses the local runtime's settings from `env`; throws one error naming every invalid variable
 * and the value it had, so `npm start` stops before it starts anything.
 */
export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const result = LocalConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const raw = env[name];
      return `${name} ${issue.message}${raw === undefined ? '' : `, got "${raw}"`}`;
    });
    throw new InvalidSettingsError(`invalid settings: ${problems.join('; ')} (see docs/local-runtime.md)`);
  }
  return Object.freeze(result.data);
}
