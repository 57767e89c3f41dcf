import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { Config } from './config.js';

export interface ResolvedSecrets {
  readonly databaseUrl: string;
  readonly linkSecret: string;
}

interface RdsSecret {
  host: string;
  port?: number;
  username: string;
  password: string;
  dbname?: string;
}

/**
 * Resolves the database URL and the link-signing key: plain env values locally, Secrets Manager
 * (through Powertools Parameters, cached) in AWS, so no secret sits in a Lambda's environment.
 */
export async function resolveSecrets(cfg: Config): Promise<ResolvedSecrets> {
  let databaseUrl = cfg.DATABASE_URL;
  if (!databaseUrl) {
    const secret = (await getSecret(cfg.DATABASE_SECRET_ARN!, {
      transform: 'json',
      maxAge: 300,
    })) as RdsSecret;
    const host = cfg.DATABASE_HOST ?? secret.host;
    databaseUrl = `postgres://${encodeURIComponent(secret.username)}:${encodeURIComponent(secret.password)}@${host}:${
      secret.port ?? 5432
    }/${secret.dbname ?? 'postgres'}?sslmode=require`;
  }
  const linkSecret = cfg.LINK_SECRET ?? ((await getSecret(cfg.LINK_SECRET_ARN!, { maxAge: 300 })) as string);
  return { databaseUrl, linkSecret };
}
