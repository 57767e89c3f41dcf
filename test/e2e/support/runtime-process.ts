import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { RUNTIME_INFO_FILE, type RuntimeInfo } from '../../../local/local-secrets.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Settings that would point the runtime elsewhere; the e2e runtime always brings its own services. */
const INHERITED_SETTINGS = [
  'DATABASE_URL',
  'S3_ENDPOINT',
  'SQS_ENDPOINT',
  'EXPORT_QUEUE_URL',
  'EXPORT_BUCKET',
  'JWT_SECRET',
  'LINK_SECRET',
  'EXPORT_API_KEY',
  'OUTBOX_DIR',
  'PUBLIC_API_URL',
  'HOST',
];

/** Calls `check` every `intervalMs` until it returns true; rejects after `timeoutMs` or when it throws. */
export async function pollUntil(
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs: number },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${options.timeoutMs} ms`);
    await sleep(options.intervalMs);
  }
}

/** `npm start` running as a child process in its own process group, as in a terminal. */
export interface RuntimeProcess {
  readonly child: ChildProcess;
  readonly info: RuntimeInfo;
  /** Milliseconds from spawn to the first successful API response. */
  readonly readyMs: number;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Sends SIGINT to its process group (Ctrl-C) and waits for it to exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartRuntimeProps {
  readonly dataDir: string;
  readonly port: number;
  readonly env?: Readonly<Record<string, string>>;
  /** Arguments after `npm start --`, e.g. `['--rows', '50000']`. */
  readonly args?: readonly string[];
  /** @default 150 s (a cold start initialises a Postgres cluster) */
  readonly timeoutMs?: number;
}

function readInfo(dataDir: string): RuntimeInfo | undefined {
  const file = path.join(dataDir, RUNTIME_INFO_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RuntimeInfo;
  } catch {
    return undefined; // being written
  }
}

/**
 * Starts `local/main.ts` with node and the tsx loader (what `npm start` runs, without the npm and
 * tsx wrapper processes, so signals reach the runtime itself) and waits until it serves the API.
 */
export async function startRuntime(props: StartRuntimeProps): Promise<RuntimeProcess> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_SETTINGS) delete env[name];
  Object.assign(env, { PORT: String(props.port), LOCAL_DATA_DIR: props.dataDir, ...props.env });
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', ...(props.args ?? [])], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );

  let info: RuntimeInfo | undefined;
  try {
    // Not expect.poll: this runs in beforeAll hooks, where only tests may use it.
    await pollUntil(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error('the runtime exited during start-up');
        const current = readInfo(props.dataDir);
        if (!current || current.pid !== child.pid) return false;
        info = current;
        const response = await fetch(`${current.apiUrl}/api/export/openapi.json`, {
          headers: { 'x-api-key': current.apiKey },
          signal: AbortSignal.timeout(5_000),
        }).catch(() => undefined);
        return response?.status === 200;
      },
      { timeoutMs: props.timeoutMs ?? 150_000, intervalMs: 200 },
    );
  } catch (error) {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    throw new Error(`the runtime did not become ready:\n${output}`, { cause: error });
  }
  const readyMs = Math.round(performance.now() - started);

  return {
    child,
    info: info!,
    readyMs,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null && child.pid)
        process.kill(-child.pid, 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the runtime did not exit within 30 s:\n${output}`)),
          30_000,
        );
      });
      try {
        return await Promise.race([exited, deadline]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Kills whatever is left of a runtime's process group (test clean-up after a failure). */
export function killRuntime(runtime: RuntimeProcess | undefined): void {
  const pid = runtime?.child.pid;
  if (!pid || runtime.child.exitCode !== null || runtime.child.signalCode !== null) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Processes whose command line mentions `text` (Linux /proc; empty elsewhere). The Postgres
 * server has its data directory on its command line (its backends exit with it), so this finds an
 * orphaned cluster even though Postgres's processes leave the runtime's process group.
 */
export function processesMentioning(text: string): number[] {
  if (!existsSync('/proc')) return [];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmdline.includes(text)) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}
