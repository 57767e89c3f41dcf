import type { Sql } from 'postgres';
import {
  decide,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitPolicy,
  type RateLimitState,
  windowState,
} from '../../domain/access/rate-limit.js';
import { translatePostgresError } from './errors.js';

export interface PostgresRateLimiterProps extends RateLimitPolicy {
  /** The clock; tests inject one to cross window edges without sleeping. @default () => new Date() */
  readonly now?: () => Date;
}

/**
 * The per-user sliding window on `export_rate_limit_events`, shared by every Lambda instance.
 * `consume` serialises a user's requests with a transaction-scoped advisory lock on the user id, so
 * the count and the insert see each other: two concurrent requests cannot both take the last slot.
 * Expired rows of that user are deleted on the way, so the table stays small.
 */
export class PostgresRateLimiter implements RateLimiter {
  private readonly now: () => Date;
  private readonly policy: RateLimitPolicy;

  constructor(
    private readonly sql: Sql,
    props: PostgresRateLimiterProps,
  ) {
    this.policy = { max: props.max, windowSeconds: props.windowSeconds };
    this.now = props.now ?? (() => new Date());
  }

  async consume(userId: string): Promise<RateLimitDecision> {
    const now = this.now();
    const windowStart = new Date(now.getTime() - this.policy.windowSeconds * 1000);
    try {
      return (await this.sql.begin(async (tx) => {
        await tx`SELECT pg_advisory_xact_lock(hashtext('export-rate-limit'), hashtext(${userId}))`;
        await tx`DELETE FROM export_rate_limit_events WHERE user_id = ${userId} AND created_at <= ${windowStart}`;
        const rows = await tx<{ created_at: Date }[]>`
          SELECT created_at FROM export_rate_limit_events
          WHERE user_id = ${userId} AND created_at > ${windowStart}`;
        const decision = decide(
          this.policy,
          now,
          rows.map((r) => r.created_at),
        );
        if (decision.allowed) {
          await tx`INSERT INTO export_rate_limit_events (user_id, created_at) VALUES (${userId}, ${now})`;
        }
        return decision;
      })) as RateLimitDecision;
    } catch (error) {
      throw translatePostgresError(error, 'checking the rate limit');
    }
  }

  async peek(userId: string): Promise<RateLimitState> {
    const now = this.now();
    const windowStart = new Date(now.getTime() - this.policy.windowSeconds * 1000);
    try {
      const rows = await this.sql<{ created_at: Date }[]>`
        SELECT created_at FROM export_rate_limit_events
        WHERE user_id = ${userId} AND created_at > ${windowStart}`;
      return windowState(
        this.policy,
        now,
        rows.map((r) => r.created_at),
      );
    } catch (error) {
      throw translatePostgresError(error, 'reading the rate limit');
    }
  }
}
