import { createHash } from 'node:crypto';

/** Seed of the demo data when none is given. */
export const DEMO_DEFAULT_SEED = 1;

/**
 * Deterministic id of the demo user with 1-based `index` under `seed`: md5(`demo-user:<seed>:<index>`)
 * read as a uuid, the same expression the SQL generator uses.
 */
export function demoUserId(index: number, seed: number = DEMO_DEFAULT_SEED): string {
  const hex = createHash('md5').update(`demo-user:${seed}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The first user (default seed): an ordinary user owning most hard-case transactions, enrollments and activity. */
export const DEMO_USER_ID = demoUserId(1);
export const DEMO_USER_EMAIL = 'user@example.com';
/** The admin user (default seed): roles `{admin}`. */
export const DEMO_ADMIN_ID = demoUserId(2);
export const DEMO_ADMIN_EMAIL = 'admin@example.com';

/** Prefixes of the fake credentials in `users.password_hash` / `users.mfa_secret`; no export may contain them. */
export const DEMO_PASSWORD_HASH_MARKER = '$argon2id$v=19$m=65536,t=3,p=4$SECRET';
export const DEMO_MFA_SECRET_MARKER = 'MFASECRET';
