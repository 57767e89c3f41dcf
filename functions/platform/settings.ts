import { MAX_LINK_TTL_SECONDS } from '../domain/access/link-token.js';

/**
 * The service's runtime settings, declared once: each one's environment variable, default, bounds,
 * meaning and which functions read it. `config.ts` parses the environment of every Lambda with
 * these, the CDK stage configuration and constructs take their defaults and bounds from here, the
 * local runtime gives the same defaults to its handlers, and `docs/configuration.md` lists the
 * same table (a test holds the two in step).
 */

/** A function group that reads a setting: the request Lambdas, the worker, the sweeper, the webhook delivery. */
export type SettingReader = 'api' | 'worker' | 'sweeper' | 'webhooks';

/** A whole-number setting. */
export interface IntSetting {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** What the default means when the number alone does not say it, e.g. `7 days`. */
  readonly note?: string;
  readonly readers: readonly SettingReader[];
  readonly description: string;
}

const DAY = 86_400;
const MIB = 1024 * 1024;

/** The longest a Lambda function may run: the worker's default timeout. */
export const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

/** SQS's longest visibility timeout (12 hours). */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 12 * 3600;

/**
 * The export queue's visibility timeout is this many times the worker's timeout: AWS's advice for
 * an SQS event source, so a message whose invocation is still running is never delivered again.
 */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** The visibility timeout of a queue whose consumer may run `timeoutSeconds` (see {@link VISIBILITY_TIMEOUT_FACTOR}). */
export function visibilityTimeoutFor(timeoutSeconds: number): number {
  return Math.min(VISIBILITY_TIMEOUT_FACTOR * timeoutSeconds, MAX_VISIBILITY_TIMEOUT_SECONDS);
}

/**
 * Ceiling of `INLINE_LIMIT_BYTES`: Lambda's synchronous response payload is 6 MB, and an inline
 * body grows in it by a third as base64 (zips) or by JSON escaping (text), plus headers.
 */
export const MAX_INLINE_BYTES = 4_000_000;

const int = (setting: IntSetting): IntSetting => Object.freeze(setting);

/** Every whole-number setting of the service, by environment variable. */
export const SETTINGS = Object.freeze({
  RATE_LIMIT_MAX: int({
    default: 5,
    min: 1,
    max: 1_000_000,
    readers: ['api'],
    description: 'export-creating requests a user may make per window',
  }),
  RATE_LIMIT_WINDOW_SECONDS: int({
    default: 900,
    min: 1,
    max: 30 * DAY,
    note: '15 minutes',
    readers: ['api'],
    description: 'length of the sliding rate-limit window',
  }),
  INLINE_LIMIT_BYTES: int({
    default: MIB,
    min: 1024,
    max: MAX_INLINE_BYTES,
    note: '1 MiB',
    readers: ['api'],
    description:
      'largest user export answered inline; larger ones become a job (at most 4 MB, Lambda’s response limit)',
  }),
  LINK_TTL_SECONDS: int({
    default: 7 * DAY,
    min: 300,
    max: MAX_LINK_TTL_SECONDS,
    note: '7 days',
    readers: ['api', 'worker', 'sweeper'],
    description: 'lifetime of an emailed download link',
  }),
  DOWNLOAD_URL_TTL_SECONDS: int({
    default: 300,
    min: 1,
    max: 7 * DAY,
    readers: ['api'],
    description: 'lifetime of a presigned S3 URL minted by a download',
  }),
  MAX_BODY_BYTES: int({
    default: 16 * 1024,
    min: 1024,
    max: 10 * MIB,
    note: '16 KiB',
    readers: ['api'],
    description: 'largest request body (413 above)',
  }),
  LEASE_SECONDS: int({
    default: 120,
    min: 10,
    max: 3600,
    readers: ['worker', 'sweeper'],
    description: 'a worker’s lease on a job or chunk, renewed by its heartbeat',
  }),
  MAX_RECEIVE_COUNT: int({
    default: 5,
    min: 1,
    max: 1000,
    readers: ['worker', 'sweeper'],
    description: 'receives of an export message before the dead-letter queue; the last one fails the job',
  }),
  QUEUE_VISIBILITY_TIMEOUT_SECONDS: int({
    default: visibilityTimeoutFor(MAX_LAMBDA_TIMEOUT_SECONDS),
    min: 1,
    max: MAX_VISIBILITY_TIMEOUT_SECONDS,
    note: '6 × the worker timeout of 900 s',
    readers: ['sweeper'],
    description: 'the export queue’s redelivery delay; the sweeper leaves a released job to it this long',
  }),
  SWEEP_GRACE_SECONDS: int({
    default: 300,
    min: 1,
    max: DAY,
    readers: ['sweeper'],
    description: 'how long a job may sit queued, or hold an expired lease, before the sweeper acts',
  }),
  NOTIFY_GRACE_SECONDS: int({
    default: 60,
    min: 1,
    max: DAY,
    readers: ['sweeper'],
    description: 'how long after a job finished an unsent outcome email or event is sent again',
  }),
  UPLOAD_PART_SIZE_MIB: int({
    default: 5,
    min: 5,
    max: 5 * 1024,
    readers: ['worker'],
    description: 'multipart part size of single-object exports; one object holds at most 10,000 parts',
  }),
  CHUNK_ROWS: int({
    default: 5_000_000,
    min: 1_000,
    max: 1_000_000_000,
    readers: ['worker'],
    description: 'a table with more estimated rows is split into key-range chunks of about this many',
  }),
  SNAPSHOT_READERS: int({
    default: 4,
    min: 1,
    max: 32,
    readers: ['worker'],
    description: 'connections a `snapshot` job reads its chunks on at once, inside one invocation',
  }),
  WEBHOOK_RETRY_BASE_SECONDS: int({
    default: 30,
    min: 0,
    max: 3600,
    readers: ['webhooks'],
    description: 'first retry delay of a failed webhook delivery; each next one is 4× longer, at most 12 h',
  }),
  WEBHOOK_MAX_ATTEMPTS: int({
    default: 8,
    min: 1,
    max: 1000,
    readers: ['webhooks'],
    description:
      'delivery attempts before a webhook delivery is given up (the webhook queue’s maxReceiveCount)',
  }),
});

export type SettingName = keyof typeof SETTINGS;

/** The default of a setting, for code that needs it before any environment is read (CDK, the local runtime). */
export const defaultOf = (name: SettingName): number => SETTINGS[name].default;
