import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';
import * as z from 'zod/mini';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

/** The caller of an API request, from the verified bearer token (or the authorizer's context). */
export interface Principal {
  /** JWT `sub`. */
  readonly userId: string;
  readonly email: string | null;
  readonly roles: readonly string[];
  readonly isAdmin: boolean;
}

export const ADMIN_ROLE = 'admin';

/** What a principal must look like, wherever it comes from (token claims or authorizer context). */
const PrincipalClaims = z.object({
  // Printable, no spaces: it becomes `requested_by` and appears in audit rows and object names.
  sub: z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[\x21-\x7e]+$/)),
  email: z.nullish(z.string().check(z.maxLength(320))),
  roles: z.nullish(z.array(z.string().check(z.maxLength(64))).check(z.maxLength(50))),
});

/** Builds a principal from token claims. @throws UnauthorizedError when `sub`, `email` or `roles` are malformed. */
export function principalFromClaims(claims: unknown): Principal {
  const parsed = z.safeParse(PrincipalClaims, claims);
  if (!parsed.success)
    throw new UnauthorizedError('the bearer token lacks a valid subject, email or roles claim');
  const roles = parsed.data.roles ?? [];
  return Object.freeze({
    userId: parsed.data.sub,
    email: parsed.data.email ?? null,
    roles: Object.freeze([...roles]),
    isAdmin: roles.includes(ADMIN_ROLE),
  });
}

export interface BearerTokenVerifierOptions {
  /** HS256 shared secret (local runtime and tests). */
  readonly secret?: string;
  /** JWKS endpoint of the identity provider (AWS). Its keys are fetched once and cached by jose. */
  readonly jwksUrl?: string;
  /** A key set given directly (tests of the JWKS path), instead of `jwksUrl`. */
  readonly jwks?: JWTVerifyGetKey;
  /** Required `iss`; mandatory with a JWKS. */
  readonly issuer?: string;
  /** Required `aud`, when set. */
  readonly audience?: string;
  /** @default 5 */
  readonly clockToleranceSeconds?: number;
}

/**
 * Verifies access tokens. Build it once per cold start: with a JWKS URL it caches the provider's
 * keys. A shared secret allows HS256 only and a key set asymmetric algorithms only, so a token can
 * never pick its own verification scheme (algorithm confusion).
 */
export class BearerTokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly options: BearerTokenVerifierOptions) {
    if (options.secret) {
      this.key = new TextEncoder().encode(options.secret);
      this.algorithms = ['HS256'];
    } else if (options.jwks || options.jwksUrl) {
      if (!options.issuer) throw new Error('a JWKS needs an issuer to check');
      this.key = options.jwks ?? createRemoteJWKSet(new URL(options.jwksUrl!));
      this.algorithms = [
        'RS256',
        'RS384',
        'RS512',
        'PS256',
        'PS384',
        'PS512',
        'ES256',
        'ES384',
        'ES512',
        'EdDSA',
      ];
    } else {
      throw new Error('set a JWT secret or a JWKS URL and issuer');
    }
  }

  /** @throws UnauthorizedError for a malformed, badly signed, expired, never-expiring or foreign token. */
  async verify(token: string): Promise<Principal> {
    let payload: JWTPayload;
    try {
      const options = {
        algorithms: this.algorithms,
        // A token without an expiry would be valid forever.
        requiredClaims: ['exp'],
        clockTolerance: this.options.clockToleranceSeconds ?? 5,
        ...(this.options.issuer && { issuer: this.options.issuer }),
        ...(this.options.audience && { audience: this.options.audience }),
      };
      ({ payload } =
        this.key instanceof Uint8Array
          ? await jwtVerify(token, this.key, options)
          : await jwtVerify(token, this.key, options));
    } catch {
      throw new UnauthorizedError('the bearer token is invalid or expired');
    }
    return principalFromClaims(payload);
  }
}

const BEARER = /^Bearer +([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*) *$/i;

/**
 * Verifies an `Authorization: Bearer <JWT>` header value.
 * @throws UnauthorizedError when it is missing, not a bearer JWT, or the token does not verify.
 */
export async function verifyBearerToken(
  verifier: BearerTokenVerifier,
  authorization: string | undefined,
): Promise<Principal> {
  if (authorization === undefined || authorization.trim() === '') throw new UnauthorizedError();
  const match = authorization.length <= 8192 ? BEARER.exec(authorization) : null;
  if (!match) throw new UnauthorizedError('the Authorization header must be "Bearer <JWT>"');
  return verifier.verify(match[1]!);
}

/**
 * Signs an HS256 access token as the local runtime and the tests accept it (`npm run token`).
 * Never used in AWS, where tokens come from the identity provider.
 */
export async function createAccessToken(
  secret: string,
  claims: { readonly sub: string; readonly email?: string; readonly roles?: readonly string[] },
  options: { readonly ttlSeconds?: number; readonly issuer?: string; readonly audience?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ ...(claims.email && { email: claims.email }), roles: [...(claims.roles ?? [])] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** Users export only themselves; admins anyone. */
export function assertCanExportUser(principal: Principal, userId: string): void {
  if (principal.isAdmin || principal.userId.toLowerCase() === userId.toLowerCase()) return;
  throw new ForbiddenError('you may only export your own data');
}

/** Bulk exports, schedules and metrics are for admins. */
export function assertAdmin(principal: Principal): void {
  if (!principal.isAdmin) throw new ForbiddenError('this operation requires the admin role');
}

/** A job is its requester's or an admin's; a job without requester (a system job) is the admins' only. */
export function assertCanSeeJob(principal: Principal, job: { readonly requestedBy: string | null }): void {
  if (principal.isAdmin || (job.requestedBy !== null && principal.userId === job.requestedBy)) return;
  throw new ForbiddenError('this export belongs to another user');
}
