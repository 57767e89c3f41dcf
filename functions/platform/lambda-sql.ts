import { Signer } from '@aws-sdk/rds-signer';
import postgres, { type Sql } from 'postgres';
import type { Config } from './config.js';

/**
 * How a function reaches Postgres:
 * - `url`: a connection string with its own credentials (local runtime and tests);
 * - a host and a login: in AWS, each function logs in as its least-privilege role
 *   (db/service-roles.ts) with a short-lived IAM token instead of a password, over TLS that
 *   verifies the server certificate and host name (the RDS CA bundle comes with Lambda's Node.js
 *   runtime through `NODE_EXTRA_CA_CERTS`, set by the stack).
 */
export type DatabaseConnection =
  | { readonly url: string }
  | {
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly user: string;
      /** Called for each new connection: an RDS IAM token in AWS. */
      readonly password: () => Promise<string>;
    };

/** The connection the configuration describes: `DATABASE_URL`, else `DATABASE_HOST` and `DATABASE_USER` with IAM. */
export function databaseConnection(cfg: Config): DatabaseConnection {
  if (cfg.DATABASE_URL) return { url: cfg.DATABASE_URL };
  const host = cfg.DATABASE_HOST!;
  const port = cfg.DATABASE_PORT;
  const user = cfg.DATABASE_USER!;
  const signer = new Signer({ hostname: host, port, username: user, region: cfg.AWS_REGION });
  return { host, port, database: cfg.DATABASE_NAME, user, password: () => signer.getAuthToken() };
}

/** Pool settings as a Lambda should hold them: one connection, closed when idle, recycled periodically. */
const LAMBDA_POOL = { max: 1, idle_timeout: 20, max_lifetime: 60 * 30, connect_timeout: 10 } as const;

/** How many connections a pool may open (they open when used); one unless said otherwise. */
export interface PoolSize {
  readonly max?: number;
}

/** postgres.js options of a connection; TLS with full verification whenever it goes by host name. */
export function postgresOptions(
  connection: DatabaseConnection,
  pool: PoolSize = {},
): postgres.Options<Record<string, never>> {
  const sized = { ...LAMBDA_POOL, ...(pool.max !== undefined && { max: pool.max }) };
  if ('url' in connection) return { ...sized, onnotice: () => {} };
  return {
    ...sized,
    host: connection.host,
    port: connection.port,
    database: connection.database,
    username: connection.user,
    password: connection.password,
    // Certificate chain and host name checked (`require` would accept any certificate).
    ssl: 'verify-full',
    onnotice: () => {},
  };
}

/** A postgres.js client for `connection`, as a Lambda should hold it. */
export function lambdaSql(connection: DatabaseConnection, pool: PoolSize = {}): Sql {
  const options = postgresOptions(connection, pool);
  return 'url' in connection ? postgres(connection.url, options) : postgres(options);
}
