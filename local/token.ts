import { parseArgs } from 'node:util';
import { createAccessToken } from '../functions/domain/access/auth.js';
import { DEMO_ADMIN_EMAIL, DEMO_ADMIN_ID, DEMO_USER_EMAIL, DEMO_USER_ID } from './demo/identities.js';
import { loadLocalSecrets, localDataDir } from './local-secrets.js';

const USAGE = `Usage: npm run token -- --user <id> [--admin] [--email <address>] [--ttl <seconds>]

Prints a bearer token the local runtime accepts (HS256 with the JWT secret in .local/secrets.json,
or JWT_SECRET): claims sub=<id>, email, roles ["admin"] with --admin, else ["user"].
--user demo-user / demo-admin stand for the demo data's user and admin.
Without --email, the demo users get their demo address; other users get none, and asynchronous
exports they request are then not emailed.`;

const KNOWN: Record<string, { id: string; email: string; admin: boolean }> = {
  'demo-user': { id: DEMO_USER_ID, email: DEMO_USER_EMAIL, admin: false },
  'demo-admin': { id: DEMO_ADMIN_ID, email: DEMO_ADMIN_EMAIL, admin: true },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      user: { type: 'string', short: 'u' },
      admin: { type: 'boolean', default: false },
      email: { type: 'string' },
      ttl: { type: 'string', default: String(24 * 3600) },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help || !values.user) {
    console.error(USAGE);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const user = values.user;
  const known = KNOWN[user] ?? Object.values(KNOWN).find((k) => k.id === user.toLowerCase());
  const sub = known?.id ?? user;
  const email = values.email ?? known?.email;
  const admin = values.admin || (known?.admin ?? false);
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1)
    throw new Error(`--ttl must be a whole number of seconds, got "${values.ttl}"`);
  const { jwtSecret } = await loadLocalSecrets(localDataDir());
  const token = await createAccessToken(
    jwtSecret,
    { sub, ...(email && { email }), roles: admin ? ['admin'] : ['user'] },
    { ttlSeconds },
  );
  console.log(token);
}

main().catch((error: unknown) => {
  console.error(`token: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
