import postgres from 'postgres';
import { migrate } from './migrate.js';

/** `npm run migrate`: applies pending service-table migrations to the database at DATABASE_URL. */
async function main(): Promise<void> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error('DATABASE_URL is not set; point it at the Postgres database to migrate');
  }
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const applied = await migrate(sql);
    if (applied.length === 0) {
      console.log('migrate: database is up to date');
    } else {
      for (const name of applied) console.log(`migrate: applied ${name}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

main().catch((error: unknown) => {
  console.error(`migrate: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
