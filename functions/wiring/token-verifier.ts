import * as z from 'zod/mini';
import { BearerTokenVerifier } from '../domain/access/auth.js';
import type { Config } from '../platform/config.js';

/** The JWT settings, parsed on their own so the authorizer needs no database or bucket configuration. */
const JwtEnv = z.object({
  JWT_SECRET: z.optional(z.string()),
  JWT_JWKS_URL: z.optional(z.string()),
  JWT_ISSUER: z.optional(z.string()),
  JWT_AUDIENCE: z.optional(z.string()),
});

/**
 * The bearer token verifier from `JWT_SECRET` (HS256: local runtime, tests) or `JWT_JWKS_URL` +
 * `JWT_ISSUER` (+ `JWT_AUDIENCE`) in AWS. Build it once: it caches the provider's keys.
 */
export function tokenVerifierFromEnv(
  env: NodeJS.ProcessEnv | Partial<Config> = process.env,
): BearerTokenVerifier {
  const jwt = z.parse(JwtEnv, env);
  const blank = (v: string | undefined) => (v === '' ? undefined : v);
  const secret = blank(jwt.JWT_SECRET);
  const jwksUrl = blank(jwt.JWT_JWKS_URL);
  const issuer = blank(jwt.JWT_ISSUER);
  const audience = blank(jwt.JWT_AUDIENCE);
  if (!secret && !(jwksUrl && issuer))
    throw new Error('invalid configuration: set JWT_SECRET or JWT_JWKS_URL and JWT_ISSUER');
  return new BearerTokenVerifier({
    ...(secret ? { secret } : { jwksUrl: jwksUrl! }),
    ...(issuer && { issuer }),
    ...(audience && { audience }),
  });
}
