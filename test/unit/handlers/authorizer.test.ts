import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { BearerTokenVerifier } from '../../../functions/domain/access/auth.js';
import { createAuthorizer } from '../../../functions/handlers/authorizer.js';
import { createHandler as getLimits } from '../../../functions/handlers/get-limits.js';
import {
  apiContext,
  authorizerEvent,
  bearerToken,
  bodyOf,
  TEST_JWT_SECRET,
  viaGateway,
} from '../../support/api-events.js';
import { type FakeApiDeps, fakeApiDeps } from '../../support/api-fakes.js';

const ADMIN = randomUUID();

let deps: FakeApiDeps;
const provide = () => Promise.resolve(deps);

beforeEach(() => {
  deps = fakeApiDeps();
});

describe('authorizer', () => {
  const authorizer = createAuthorizer(() => new BearerTokenVerifier({ secret: TEST_JWT_SECRET }));

  it('allows a valid token for the whole stage and passes userId, email and roles', async () => {
    const token = await bearerToken(ADMIN, { admin: true, email: 'a@example.com' });

    const result = await authorizer(authorizerEvent({ Authorization: `Bearer ${token}` }), apiContext());

    expect(result.principalId).toBe(ADMIN);
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:us-east-1:000000000000:api1234567/test/*/*',
      },
    ]);
    expect(result.context).toEqual({ userId: ADMIN, email: 'a@example.com', roles: '["admin"]' });
  });

  it.each([
    ['no header', {}],
    ['a bad token', { authorization: 'Bearer a.b.c' }],
  ])('answers Unauthorized for %s', async (_, headers) => {
    await expect(authorizer(authorizerEvent(headers), apiContext())).rejects.toThrow('Unauthorized');
  });

  it('lets the gateway helper turn a rejection into the JSON 401', async () => {
    const response = await viaGateway(authorizer, getLimits(provide), { headers: {} });

    expect(response.statusCode).toBe(401);
    expect(bodyOf(response)).toMatchObject({ error: { code: 'unauthorized' } });
  });
});
