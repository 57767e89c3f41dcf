import { rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ensureConsoleBuilt } from '../console/build.js';
import { renderBanner } from './banner.js';
import { RUNTIME_INFO_FILE } from './local-secrets.js';
import { type LocalRuntime, startLocalRuntime } from './runtime.js';
import { InvalidSettingsError, loadLocalConfig } from './runtime-config.js';

const USAGE = `Usage: npm start [-- --rows <users>]

Runs the Data Export Service on this machine: embedded Postgres (unless DATABASE_URL), the S3/SQS
emulator, the API on PORT (default 3000), the export worker, the scheduler and the email outbox.

  --rows <n>   demo users to generate when the product tables are absent (default 1000;
               courses, enrollments, transactions and activity scale from it)
  -h, --help   this text

Environment: see docs/local-runtime.md.`;

/** Demo users on a fresh database: seconds to generate, enough to see paging and progress. */
const DEFAULT_DEMO_USERS = 1000;

function time(): string {
  return new Date().toISOString().slice(11, 19);
}

function logLine(line: string): void {
  console.log(`${time()} ${line}`);
}

function logError(message: string, error: unknown): void {
  console.error(`${time()} ${message}:`, error instanceof Error ? (error.stack ?? error.message) : error);
}

function parseCount(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/**
 * Every handler shares one Powertools Metrics instance per process, as in a Lambda environment;
 * with concurrent in-process invocations one flush empties the store another invocation then
 * flushes, which makes Powertools warn. Metrics are disabled locally, so the warning says nothing.
 */
function silenceSharedMetricsWarning(): void {
  const warn = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('No application metrics to publish')) return;
    warn(...args);
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { rows: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const demoUsers = parseCount('--rows', values.rows, DEFAULT_DEMO_USERS, 12, 50_000_000);
  const config = loadLocalConfig(process.env);
  const dataDir = config.LOCAL_DATA_DIR;

  let runtime: LocalRuntime | undefined;
  let stopping = false;
  let firstSignalAt = 0;
  const stop = async (reason: string) => {
    if (stopping) {
      // Ctrl-C reaches this process twice (from the terminal and relayed by tsx): only a later
      // second signal means "exit now".
      if (Date.now() - firstSignalAt < 2_000) return;
      console.error(`${time()} ${reason} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    firstSignalAt = Date.now();
    rmSync(path.join(dataDir, RUNTIME_INFO_FILE), { force: true });
    if (!runtime) return; // still starting: stopped as soon as the start settles
    logLine(`${reason}: stopping (data stays in ${dataDir})…`);
    const force = setTimeout(() => {
      console.error(`${time()} did not stop within 15 s; exiting`);
      process.exit(1);
    }, 15_000);
    force.unref();
    await runtime.stop();
    logLine(`stopped; data kept in ${dataDir}`);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // A stray rejection in a handler must not take the whole runtime down (Lambda would only fail
  // that invocation); it is reported instead.
  process.on('unhandledRejection', (reason) => logError('unhandled rejection', reason));

  silenceSharedMetricsWarning();
  logLine(`starting the Data Export Service (data in ${dataDir})…`);
  // The API works without the console, so a failed build is reported, not fatal.
  await ensureConsoleBuilt({ log: logLine }).catch((error: unknown) =>
    logError('the web console could not be built (the API still starts)', error),
  );
  try {
    runtime = await startLocalRuntime({
      config,
      demoUsers,
      env: process.env,
      log: logLine,
      logError,
      onEmail: (email) => {
        logLine(`mail to ${email.to}: "${email.subject}" (${email.file})`);
        for (const link of email.downloadLinks) console.log(`           download: ${link}`);
      },
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') console.error(`port ${config.PORT} is in use: set PORT to another port`);
    throw error;
  }
  if (stopping) {
    stopping = false;
    await stop('stop requested during start-up');
    return;
  }
  if (values.rows !== undefined && !runtime.demoDataCreated) {
    logLine(
      '--rows ignored: the product tables exist already (delete the data directory to regenerate them)',
    );
  }
  console.log(renderBanner(runtime, dataDir));
}

main().catch((error: unknown) => {
  // A bad setting is the user's to fix: its message says which, a stack trace would not help.
  if (error instanceof InvalidSettingsError) console.error(`${time()} ${error.message}`);
  else logError('start-up failed', error);
  process.exit(1);
});
