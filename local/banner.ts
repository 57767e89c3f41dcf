import path from 'node:path';
import { API_BASE_PATH } from '../functions/domain/access/api-paths.js';
import { CONSOLE_BASE_PATH } from '../lib/console-site.js';
import type { LocalRuntime } from './runtime.js';

/** Single-quotes a value for POSIX shells. */
function sh(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface CurlExampleProps {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly userToken: string;
  readonly adminToken: string;
  readonly userId: string;
}

/**
 * Three commands that work when pasted into a POSIX shell one after the other: the user's own
 * export as JSON, a bulk CSV export (which sets `JOB`), and that job's status.
 */
export function curlExamples(
  props: CurlExampleProps,
): { readonly title: string; readonly command: string }[] {
  const api = `${props.apiUrl}${API_BASE_PATH}`;
  const key = `-H ${sh(`x-api-key: ${props.apiKey}`)}`;
  const user = `-H ${sh(`Authorization: Bearer ${props.userToken}`)}`;
  const admin = `-H ${sh(`Authorization: Bearer ${props.adminToken}`)}`;
  return [
    {
      title: "the demo user's own data as JSON (inline)",
      command: `curl -s ${key} ${user} ${sh(`${api}/user/${props.userId}?format=json`)}; echo`,
    },
    {
      title: 'a bulk CSV export of users and transactions as admin (queued; sets JOB; the link is emailed)',
      command:
        `JOB=$(curl -s -X POST ${key} ${admin} -H 'Content-Type: application/json' ` +
        `-d '{"tables":["users","transactions"],"format":"csv"}' ${sh(`${api}/bulk`)} ` +
        `| sed -E 's/.*"jobId":"([^"]+)".*/\\1/'); echo "job $JOB"`,
    },
    {
      title: "that job's status (run it again until it is completed)",
      command: `curl -s ${key} ${admin} "${api}/jobs/$JOB"; echo`,
    },
  ];
}

/**
 * Console links that sign in as the demo admin and the demo user. The token and the local API key
 * travel in the URL fragment, which the browser never sends to a server (so no log holds them);
 * the console moves them into sessionStorage and clears the address bar.
 */
export function consoleLinks(props: {
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly adminToken: string;
  readonly userToken: string;
}): { readonly console: string; readonly admin: string; readonly user: string } {
  const base = `${props.apiUrl}${CONSOLE_BASE_PATH}`;
  const signIn = (token: string) => `${base}#${new URLSearchParams({ token, apiKey: props.apiKey })}`;
  return { console: base, admin: signIn(props.adminToken), user: signIn(props.userToken) };
}

function relative(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

/** The start-up banner of `npm start`. */
export function renderBanner(runtime: LocalRuntime, dataDir: string): string {
  const { info } = runtime;
  const days = Math.round(runtime.tokens.ttlSeconds / 86_400);
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(10)} ${value}`);
  lines.push('', `Data Export Service is running (ready in ${(info.startupMs / 1000).toFixed(1)} s)`, '');
  row('API', `${info.apiUrl}${API_BASE_PATH}   (OpenAPI: ${info.apiUrl}${API_BASE_PATH}/openapi.json)`);
  row('API key', `${info.apiKey}   (header x-api-key)`);
  const links = consoleLinks({
    apiUrl: info.apiUrl,
    apiKey: info.apiKey,
    adminToken: runtime.tokens.admin,
    userToken: runtime.tokens.user,
  });
  row('Console', `${links.console}   (sign in with a link below)`);
  row(
    'Postgres',
    runtime.embeddedPostgres
      ? `${info.databaseUrl}   (embedded; data in ${relative(path.join(dataDir, 'pg'))}, kept across restarts)`
      : `${info.databaseUrl.replace(/:[^:@/]*@/, ':***@')}   (DATABASE_URL)`,
  );
  row(
    'S3',
    runtime.embeddedS3
      ? `${info.s3Endpoint}   (fauxqs, in memory: exported files are lost when the runtime stops)`
      : `${info.s3Endpoint}   (S3_ENDPOINT)`,
  );
  row('Bucket', info.bucket);
  row(
    'Queue',
    `${info.queueUrl}   (in memory; DLQ after ${runtime.maxReceiveCount} receives, visibility timeout ${runtime.visibilityTimeoutSeconds} s, worker timeout ${runtime.workerTimeoutSeconds} s)`,
  );
  row(
    'Outbox',
    `${relative(info.outboxDir)}   (emails as .eml; download links are printed below as they arrive)`,
  );
  if (runtime.demoDataCreated) row('Demo data', 'product tables created and filled with demo data');
  lines.push('');
  lines.push(
    `Tokens (valid ${days} days; more with: npm run token -- --user <id> [--admin] [--email <address>])`,
  );
  row('user', `${runtime.demo.userId} <${runtime.demo.userEmail}>`);
  lines.push(`    ${runtime.tokens.user}`);
  row('admin', `${runtime.demo.adminId} <${runtime.demo.adminEmail}>`);
  lines.push(`    ${runtime.tokens.admin}`);
  lines.push('', 'Open the console signed in (the links carry a token: keep them to yourself):');
  row('as admin', links.admin);
  row('as user', links.user);
  lines.push('', 'Try it (paste one after the other):');
  const examples = curlExamples({
    apiUrl: info.apiUrl,
    apiKey: info.apiKey,
    userToken: runtime.tokens.user,
    adminToken: runtime.tokens.admin,
    userId: runtime.demo.userId,
  });
  examples.forEach((example, index) => {
    lines.push(`  # ${index + 1}. ${example.title}`, `  ${example.command}`);
  });
  lines.push('', `Press Ctrl-C to stop; Postgres data stays in ${relative(dataDir)}.`, '');
  return lines.join('\n');
}
