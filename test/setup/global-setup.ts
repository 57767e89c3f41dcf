import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../db/migrate.js';
import { SERVICE_ROLES, serviceUrl, setServicePasswords } from '../../db/service-roles.js';
import { ensureProductDatabase } from '../../local/demo-data.js';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '../../local/embedded-postgres.js';
import { type LocalAws, startLocalAws } from '../../local/local-aws.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The database owner's URL: migrations, fixtures and oracles. */
    databaseUrl: string;
    /** The URL of each service login (see db/service-roles.ts): what the code under test connects as. */
    serviceDatabaseUrls: Record<'api' | 'worker' | 'sweeper', string>;
    awsEndpoint: string;
    bucket: string;
  }
}

/** Size of the demo data set the integration tests share (users; other tables scale from it). */
const TEST_USERS = 120;

/**
 * Starts the real services the integration tests run against: Postgres (embedded, in a
 * temporary directory, unless DATABASE_URL is set) and the S3/SQS emulator, on free ports.
 * Everything is stopped and deleted at teardown.
 */
export default async function setup(project: TestProject) {
  let pg: EmbeddedPostgresServer | undefined;
  let dataDir: string | undefined;
  let aws: LocalAws | undefined;
  const bucket = 'export-test-bucket';
  const servicePassword = randomBytes(24).toString('base64url');
  try {
    let databaseUrl = process.env.DATABASE_URL;
    if (!databaseUrl) {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-test-pg-'));
      fs.chmodSync(dataDir, 0o777);
      pg = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'data') });
      databaseUrl = pg.url;
    }
    aws = await startLocalAws({ buckets: [bucket] });
    const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
    try {
      await ensureProductDatabase(sql, { users: TEST_USERS });
      await migrate(sql);
      await setServicePasswords(sql, servicePassword);
    } finally {
      await sql.end();
    }
    project.provide('serviceDatabaseUrls', {
      api: serviceUrl(databaseUrl, SERVICE_ROLES.api, servicePassword),
      worker: serviceUrl(databaseUrl, SERVICE_ROLES.worker, servicePassword),
      sweeper: serviceUrl(databaseUrl, SERVICE_ROLES.sweeper, servicePassword),
    });
    project.provide('databaseUrl', databaseUrl);
    project.provide('awsEndpoint', aws.endpoint);
    project.provide('bucket', bucket);
  } catch (error) {
    await aws?.stop();
    await pg?.stop();
    // vitest 4.1 reports a failed global setup as an "Unhandled Error" yet exits 0 (setting
    // process.exitCode does not survive it), which would let CI pass without running a test.
    console.error('global setup failed: the real Postgres and S3 services could not start', error);
    process.exit(1);
  }
  return async () => {
    await aws?.stop();
    await pg?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
}
