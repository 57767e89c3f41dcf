import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  assertAdmin,
  assertCanExportUser,
  assertCanSeeJob,
  BearerTokenVerifier,
  createAccessToken,
  type Principal,
  verifyBearerToken,
} from '../../../functions/domain/access/auth.js';
import { ForbiddenError, UnauthorizedError } from '../../../functions/domain/errors.js';

const SECRET = 'jwt-secret-for-unit-tests-0123456789abcdef';
const USER = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const OTHER = 'f1e2d3c4-b5a6-4978-8695-a4b3c2d1e0f9';

const user: Principal = { userId: USER, email: 'u@example.com', roles: [], isAdmin: false };
const admin: Principal = { userId: OTHER, email: 'a@example.com', roles: ['admin'], isAdmin: true };

describe('verifyBearerToken with a shared secret (HS256)', () => {
  const verifier = new BearerTokenVerifier({ secret: SECRET });

  it('returns the principal of a valid token, admin from the roles claim', async () => {
    const token = await createAccessToken(SECRET, {
      sub: USER,
      email: 'u@example.com',
      roles: ['admin', 'x'],
    });

    const principal = await verifyBearerToken(verifier, `Bearer ${token}`);

    expect(principal).toEqual({ userId: USER, email: 'u@example.com', roles: ['admin', 'x'], isAdmin: true });
  });

  it('treats a token without roles as an ordinary user', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(USER)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));

    await expect(verifyBearerToken(verifier, `bearer ${token}`)).resolves.toMatchObject({
      isAdmin: false,
      roles: [],
      email: null,
    });
  });

  it.each([
    ['a missing header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a non-JWT', 'Bearer abc'],
  ])('rejects %s with 401', async (_, header) => {
    await expect(verifyBearerToken(verifier, header)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('rejects an expired token, a foreign signature and a malformed roles claim', async () => {
    const expired = await createAccessToken(SECRET, { sub: USER }, { ttlSeconds: -60 });
    const foreign = await createAccessToken('other-secret-0123456789abcdef0123456789', { sub: USER });
    const badRoles = await new SignJWT({ roles: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(USER)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));

    for (const token of [expired, foreign, badRoles]) {
      await expect(verifyBearerToken(verifier, `Bearer ${token}`)).rejects.toBeInstanceOf(UnauthorizedError);
    }
  });

  it('rejects a token without an expiry: it would be valid forever', async () => {
    const forever = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(USER)
      .setIssuedAt()
      .sign(new TextEncoder().encode(SECRET));

    await expect(verifyBearerToken(verifier, `Bearer ${forever}`)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('rejects a token without a subject', async () => {
    const token = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));

    await expect(verifyBearerToken(verifier, `Bearer ${token}`)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('verifyBearerToken with a key set (AWS)', async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
  const verifier = new BearerTokenVerifier({
    jwks: createLocalJWKSet({ keys: [jwk] }),
    issuer: 'https://idp.example.com/',
    audience: 'export-api',
  });
  const sign = (claims: { iss?: string; aud?: string }) =>
    new SignJWT({ email: 'u@example.com', roles: ['admin'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setSubject(USER)
      .setIssuer(claims.iss ?? 'https://idp.example.com/')
      .setAudience(claims.aud ?? 'export-api')
      .setExpirationTime('1h')
      .sign(privateKey);

  it('accepts a token of the issuer and audience', async () => {
    await expect(verifyBearerToken(verifier, `Bearer ${await sign({})}`)).resolves.toMatchObject({
      userId: USER,
      isAdmin: true,
    });
  });

  it('rejects another issuer or audience', async () => {
    await expect(
      verifyBearerToken(verifier, `Bearer ${await sign({ iss: 'https://evil.example.com/' })}`),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(
      verifyBearerToken(verifier, `Bearer ${await sign({ aud: 'other' })}`),
    ).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('rejects an HS256 token (no algorithm confusion)', async () => {
    const token = await createAccessToken(
      SECRET,
      { sub: USER },
      { issuer: 'https://idp.example.com/', audience: 'export-api' },
    );

    await expect(verifyBearerToken(verifier, `Bearer ${token}`)).rejects.toBeInstanceOf(UnauthorizedError);
  });
});

describe('access rules', () => {
  it('lets users export themselves and admins anyone', () => {
    expect(() => assertCanExportUser(user, USER)).not.toThrow();
    expect(() => assertCanExportUser(user, USER.toUpperCase())).not.toThrow();
    expect(() => assertCanExportUser(admin, USER)).not.toThrow();
    expect(() => assertCanExportUser(user, OTHER)).toThrow(ForbiddenError);
  });

  it('reserves admin operations to admins', () => {
    expect(() => assertAdmin(admin)).not.toThrow();
    expect(() => assertAdmin(user)).toThrow(ForbiddenError);
  });

  it('shows a job to its requester and admins only', () => {
    expect(() => assertCanSeeJob(user, { requestedBy: USER })).not.toThrow();
    expect(() => assertCanSeeJob(admin, { requestedBy: USER })).not.toThrow();
    expect(() => assertCanSeeJob(user, { requestedBy: OTHER })).toThrow(ForbiddenError);
  });
});
