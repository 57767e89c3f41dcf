import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAccessToken } from '../../../functions/domain/access/auth.js';
import {
  createLinkToken,
  LINK_TOKEN_AUDIENCE,
  MAX_LINK_TTL_SECONDS,
  verifyLinkToken,
} from '../../../functions/domain/access/link-token.js';
import { UnauthorizedError } from '../../../functions/domain/errors.js';

const SECRET = 'link-secret-for-unit-tests-0123456789abcdef';
const JOB = '3f2b8c1e-7d4a-4e2b-9c3d-1a2b3c4d5e6f';
const USER = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';

describe('link tokens', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('round-trips the job owner for the job it was signed for', async () => {
    const token = await createLinkToken(SECRET, { jobId: JOB, userId: USER }, 3600);

    await expect(verifyLinkToken(SECRET, token, JOB)).resolves.toEqual({ userId: USER });
  });

  it('rejects a token for another job', async () => {
    const token = await createLinkToken(SECRET, { jobId: JOB, userId: USER }, 3600);

    await expect(
      verifyLinkToken(SECRET, token, '00000000-0000-4000-8000-000000000000'),
    ).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('rejects an expired token with a message saying so', async () => {
    vi.useFakeTimers({ now: new Date('2024-05-01T00:00:00Z') });
    const token = await createLinkToken(SECRET, { jobId: JOB, userId: USER }, 7 * 24 * 3600);

    vi.setSystemTime(new Date('2024-05-08T00:00:01Z'));

    await expect(verifyLinkToken(SECRET, token, JOB)).rejects.toThrow(/expired/);
  });

  it('rejects a token signed with another key', async () => {
    const token = await createLinkToken(
      'another-secret-0123456789abcdef0123456789',
      { jobId: JOB, userId: USER },
      3600,
    );

    await expect(verifyLinkToken(SECRET, token, JOB)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('rejects an access token signed with the same key (wrong audience)', async () => {
    const access = await createAccessToken(SECRET, { sub: USER, roles: ['admin'] });

    await expect(verifyLinkToken(SECRET, access, JOB)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('rejects alg none and garbage', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
      JSON.stringify({ sub: USER, jobId: JOB, aud: LINK_TOKEN_AUDIENCE, exp: 9_999_999_999 }),
    ).toString('base64url')}.`;

    await expect(verifyLinkToken(SECRET, unsigned, JOB)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(verifyLinkToken(SECRET, 'not-a-token', JOB)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('rejects a token without a subject', async () => {
    const token = await new SignJWT({ jobId: JOB })
      .setProtectedHeader({ alg: 'HS256' })
      .setAudience(LINK_TOKEN_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));

    await expect(verifyLinkToken(SECRET, token, JOB)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  const signed = (build: (jwt: SignJWT) => SignJWT) =>
    build(new SignJWT({ jobId: JOB }).setProtectedHeader({ alg: 'HS256' }).setAudience(LINK_TOKEN_AUDIENCE))
      .setSubject(USER)
      .sign(new TextEncoder().encode(SECRET));

  it('accepts a well-formed token signed by hand (control for the cases below)', async () => {
    const token = await signed((jwt) => jwt.setIssuedAt().setExpirationTime('1h'));

    await expect(verifyLinkToken(SECRET, token, JOB)).resolves.toEqual({ userId: USER });
  });

  it('rejects a token that never expires, or has no issue time', async () => {
    const noExpiry = await signed((jwt) => jwt.setIssuedAt());
    const noIssueTime = await signed((jwt) => jwt.setExpirationTime('1h'));

    await expect(verifyLinkToken(SECRET, noExpiry, JOB)).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(verifyLinkToken(SECRET, noIssueTime, JOB)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('rejects a link older than the maximum age even when its exp lies further ahead', async () => {
    const issued = Math.floor(Date.now() / 1000) - MAX_LINK_TTL_SECONDS - 60;
    const token = await signed((jwt) =>
      jwt.setIssuedAt(issued).setExpirationTime(issued + 10 * MAX_LINK_TTL_SECONDS),
    );

    await expect(verifyLinkToken(SECRET, token, JOB)).rejects.toThrow(/expired/);
  });

  it('refuses to sign a link longer-lived than the maximum age', async () => {
    await expect(
      createLinkToken(SECRET, { jobId: JOB, userId: USER }, MAX_LINK_TTL_SECONDS + 1),
    ).rejects.toThrow();
  });
});
