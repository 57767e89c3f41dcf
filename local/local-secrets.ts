import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (the local runtime's default data lives in `<root>/.local`). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** `LOCAL_DATA_DIR` (relative to the working directory), else `<repository>/.local`. */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOCAL_DATA_DIR ? path.resolve(env.LOCAL_DATA_DIR) : path.join(PROJECT_ROOT, '.local');
}

/** The local runtime's secrets; generated once so tokens and emailed links survive restarts. */
export interface LocalSecrets {
  readonly jwtSecret: string;
  readonly linkSecret: string;
  readonly apiKey: string;
  /** Password of the service's database logins (db/service-roles.ts), which the runtime sets. */
  readonly databasePassword: string;
  /** Key that seals webhook signing secrets in the database (`WEBHOOK_SECRET_KEY`). */
  readonly webhookSecretKey: string;
}

const FILE = 'secrets.json';

/** Values that replace the stored secrets: the environment, or the runtime's parsed settings. */
export interface SecretOverrides {
  readonly JWT_SECRET?: string | undefined;
  readonly LINK_SECRET?: string | undefined;
  readonly EXPORT_API_KEY?: string | undefined;
}

/**
 * The secrets in `<dataDir>/secrets.json`, created (mode 0600) with random values on first use.
 * `JWT_SECRET`, `LINK_SECRET` and `EXPORT_API_KEY` take precedence and are not written to the file.
 */
export async function loadLocalSecrets(
  dataDir: string,
  env: SecretOverrides = process.env,
): Promise<LocalSecrets> {
  const file = path.join(dataDir, FILE);
  let stored: Partial<LocalSecrets> = {};
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Partial<LocalSecrets>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`cannot read ${file}`, { cause: error });
  }
  const complete: LocalSecrets = {
    jwtSecret: stored.jwtSecret ?? randomBytes(32).toString('base64url'),
    linkSecret: stored.linkSecret ?? randomBytes(32).toString('base64url'),
    apiKey: stored.apiKey ?? `local-${randomBytes(16).toString('hex')}`,
    databasePassword: stored.databasePassword ?? randomBytes(24).toString('base64url'),
    webhookSecretKey: stored.webhookSecretKey ?? randomBytes(32).toString('base64url'),
  };
  if (
    complete.jwtSecret !== stored.jwtSecret ||
    complete.linkSecret !== stored.linkSecret ||
    complete.apiKey !== stored.apiKey ||
    complete.databasePassword !== stored.databasePassword ||
    complete.webhookSecretKey !== stored.webhookSecretKey
  ) {
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, `${JSON.stringify(complete, null, 2)}\n`, { mode: 0o600 });
  }
  return {
    jwtSecret: env.JWT_SECRET || complete.jwtSecret,
    linkSecret: env.LINK_SECRET || complete.linkSecret,
    apiKey: env.EXPORT_API_KEY || complete.apiKey,
    databasePassword: complete.databasePassword,
    webhookSecretKey: complete.webhookSecretKey,
  };
}

/** What `npm start` writes to `<dataDir>/runtime.json` once it serves requests (tools and e2e tests read it). */
export interface RuntimeInfo {
  readonly pid: number;
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly databaseUrl: string;
  readonly awsEndpoint: string;
  readonly s3Endpoint: string;
  readonly bucket: string;
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** The webhook delivery queue and its dead-letter queue. */
  readonly webhookQueueUrl?: string;
  readonly webhookDeadLetterQueueUrl?: string;
  /** The emulated EventBridge bus: one event (as EventBridge delivers it) per line. */
  readonly eventsFile?: string;
  readonly outboxDir: string;
  readonly startedAt: string;
  readonly startupMs: number;
}

export const RUNTIME_INFO_FILE = 'runtime.json';
