import { errors, jwtVerify, SignJWT } from 'jose';
import { UnauthorizedError } from '../errors.js';

/** Audience of download link tokens, so no other token signed with the same key is accepted. */
export const LINK_TOKEN_AUDIENCE = 'export-download';

/**
 * The longest a download link may live, whatever its `exp` says: a link is checked against its
 * issue time too, so no link signed with the key (by mistake or by someone holding it) lasts longer.
 */
export const MAX_LINK_TTL_SECONDS = 30 * 24 * 3600;

export interface LinkTokenClaims {
  readonly jobId: string;
  readonly userId: string;
}

const key = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/**
 * Signs the token of an emailed download link: HS256 compact JWT, audience `export-download`,
 * subject the job's owner, claim `jobId`. The link leads to `/jobs/{jobId}/download?token=…`, which
 * mints a fresh presigned URL at click time (presigned URLs die with the role's credentials).
 */
export async function createLinkToken(
  secret: string,
  claims: LinkTokenClaims,
  ttlSeconds: number,
): Promise<string> {
  if (ttlSeconds > MAX_LINK_TTL_SECONDS) throw new Error(`a link may live ${MAX_LINK_TTL_SECONDS} s at most`);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jobId: claims.jobId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setAudience(LINK_TOKEN_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(key(secret));
}

/**
 * Verifies a link token for `jobId`.
 * @throws UnauthorizedError when the token is malformed, badly signed, expired, without expiry or
 * issue time, older than {@link MAX_LINK_TTL_SECONDS}, for another audience or for another job.
 */
export async function verifyLinkToken(
  secret: string,
  token: string,
  jobId: string,
): Promise<{ userId: string }> {
  let payload: { sub?: unknown; jobId?: unknown };
  try {
    ({ payload } = await jwtVerify(token, key(secret), {
      algorithms: ['HS256'],
      audience: LINK_TOKEN_AUDIENCE,
      requiredClaims: ['exp', 'iat'],
      maxTokenAge: MAX_LINK_TTL_SECONDS,
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new UnauthorizedError('the download link has expired');
    throw new UnauthorizedError('the download link is invalid');
  }
  if (typeof payload.sub !== 'string' || payload.sub === '' || payload.jobId !== jobId) {
    throw new UnauthorizedError('the download link is not valid for this export');
  }
  return { userId: payload.sub };
}
