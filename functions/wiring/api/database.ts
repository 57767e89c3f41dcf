import type { Sql } from 'postgres';
import { PostgresAuditLog } from '../../adapters/postgres/postgres-audit-log.js';
import { PostgresExportDatabase } from '../../adapters/postgres/postgres-export-database.js';
import { PostgresExportJobs } from '../../adapters/postgres/postgres-export-jobs.js';
import { PostgresJobLeases } from '../../adapters/postgres/postgres-job-leases.js';
import { PostgresRateLimiter } from '../../adapters/postgres/postgres-rate-limiter.js';
import { type Config, config } from '../../platform/config.js';
import { databaseConnection, lambdaSql } from '../../platform/lambda-sql.js';
import { once } from '../../platform/once.js';

/** One Postgres connection per execution environment, as the function's own database login. */
const sql = once(() => lambdaSql(databaseConnection(config())));

/** The rate limiter of `RATE_LIMIT_MAX` requests per `RATE_LIMIT_WINDOW_SECONDS`. */
export const rateLimiterOf = (db: Sql, cfg: Config, now: () => Date) =>
  new PostgresRateLimiter(db, { max: cfg.RATE_LIMIT_MAX, windowSeconds: cfg.RATE_LIMIT_WINDOW_SECONDS, now });

export const apiJobs = once(() => new PostgresExportJobs(sql()));
export const apiLeases = once(() => new PostgresJobLeases(sql()));
export const apiAudit = once(() => new PostgresAuditLog(sql()));
export const apiDatabase = once(() => new PostgresExportDatabase(sql()));
export const apiRateLimiter = once(() => rateLimiterOf(sql(), config(), () => new Date()));

/** The same connection, for the wiring modules of other parts (webhooks). */
export const apiConnection = sql;
