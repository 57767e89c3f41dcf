import postgres, { type Sql } from 'postgres';

/** postgres.js as a Lambda should hold it: one connection, closed when idle, recycled periodically. */
export function lambdaSql(databaseUrl: string): Sql {
  return postgres(databaseUrl, {
    max: 1,
    idle_timeout: 20,
    max_lifetime: 60 * 30,
    connect_timeout: 10,
    onnotice: () => {},
  });
}
