import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { Config } from './config.js';

interface RdsSecret {
  host: string;
  port?: number;
  username: string;
  password: string;
  dbname?: string;
}

/** The database URL: `DATABASE_URL` locally, the RDS secret (through Powertools Parameters, cached) in AWS. */
export async function resolveDatabaseUrl(cfg: Config): Promise<string> {
  if (cfg.DATABASE_URL) return cfg.DATABASE_URL;
  const secret = (await getSecret(cfg.DATABASE_SECRET_ARN!, { transform: 'json', maxAge: 300 })) as RdsSecret;
  const host = cfg.DATABASE_HOST ?? secret.host;
  return `postgres://${encodeURIComponent(secret.username)}:${encodeURIComponent(secret.password)}@${host}:${
    secret.port ?? 5432
  }/${secret.dbname ?? 'postgres'}?sslmode=require`;
}

/**
 * The key that signs download links: `LINK_SECRET` locally, Secrets Manager in AWS. Only the
 * functions that sign or verify links are given it (and the grant to read it), so it is resolved
 * on first use rather than at every cold start.
 */
export async function resolveLinkSecret(cfg: Config): Promise<string> {
  if (cfg.LINK_SECRET) return cfg.LINK_SECRET;
  if (!cfg.LINK_SECRET_ARN) throw new Error('invalid configuration: set LINK_SECRET or LINK_SECRET_ARN');
  return (await getSecret(cfg.LINK_SECRET_ARN, { maxAge: 300 })) as string;
}
