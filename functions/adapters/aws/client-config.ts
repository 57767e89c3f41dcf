import { DependencyError, ExportError } from '../../domain/errors.js';

/** Where an AWS client connects: the region, and a custom endpoint for the local emulator. */
export interface AwsClientOptions {
  /** `S3_ENDPOINT` / `SQS_ENDPOINT`: the local emulator. @default the service's regional endpoint */
  readonly endpoint?: string;
  /** @default `AWS_REGION`, else us-east-1 */
  readonly region?: string;
}

/** The region every AWS client of the service uses when none is given. */
export const DEFAULT_AWS_REGION = 'us-east-1';

/**
 * The configuration every AWS client of the service starts from: the region and, with a custom
 * endpoint (the local emulator), local credentials unless AWS ones are set. One place, so the
 * clients of S3, SQS, EventBridge and SES cannot drift apart.
 */
export function awsClientConfig(options: AwsClientOptions = {}): {
  region: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
} {
  const region = options.region ?? process.env.AWS_REGION ?? DEFAULT_AWS_REGION;
  if (!options.endpoint) return { region };
  return {
    region,
    endpoint: options.endpoint,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    },
  };
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'NetworkingError', 'AbortError']);

/** What the SDK's errors carry that says whether a retry can help. */
interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: unknown;
}

/**
 * True for an AWS failure worth retrying: throttling (429, the service's throttling error
 * names), a 5xx, or a request that never got an answer (network errors, timeouts).
 */
export function isTransientAwsError(
  error: unknown,
  retryableNames: ReadonlySet<string> = new Set(),
): boolean {
  const e = error as SdkError;
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined) return true;
  return status >= 500 || status === 429 || !!e.$retryable || retryableNames.has(e.name ?? '');
}

/** True when the request never reached the service (no HTTP status and a network error). */
export function isNetworkFailure(error: unknown): boolean {
  const e = error as SdkError;
  return (
    e.$metadata?.httpStatusCode === undefined &&
    (NETWORK_CODES.has(e.code ?? '') || NETWORK_NAMES.has(e.name ?? ''))
  );
}

/** How an adapter words a failure of its service. */
export interface AwsFailureText {
  /** The message of a transient failure, e.g. `export queue unavailable`. */
  readonly unavailable: string;
  /** The code of a refusal, e.g. `queue_error`. */
  readonly code: string;
  /** What was refused, e.g. `the export queue refused the message` (the SDK error's name follows). */
  readonly refused: string;
  /** HTTP status of a refusal. @default 500 */
  readonly status?: number;
}

/**
 * Translates an AWS SDK error into a domain error: a transient one (`transient`, by default
 * {@link isTransientAwsError}) is a retryable `DependencyError`; anything else an `ExportError`
 * naming what was refused (the SDK's own text stays in the cause, for the logs).
 */
export function translateAwsError(
  error: unknown,
  text: AwsFailureText,
  transient: (error: unknown) => boolean = (e) => isTransientAwsError(e),
): Error {
  if (error instanceof ExportError) return error;
  if (transient(error)) return new DependencyError(text.unavailable, error);
  return new ExportError(
    text.code,
    `${text.refused}: ${(error as SdkError).name ?? 'error'}`,
    text.status ?? 500,
    {
      cause: error,
    },
  );
}
