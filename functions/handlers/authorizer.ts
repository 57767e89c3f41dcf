import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { header } from '../api/http.js';
import { type BearerTokenVerifier, verifyBearerToken } from '../domain/access/auth.js';
import { UnauthorizedError } from '../domain/errors.js';
import { logger, tracer } from '../platform/powertools.js';
import { tokenVerifierFromEnv } from '../wiring/token-verifier.js';

/** What the authorizer passes to the handlers (`event.requestContext.authorizer`); values must be scalars. */
export interface AuthorizerContext {
  readonly userId: string;
  readonly email: string;
  /** JSON array of role names. */
  readonly roles: string;
  [key: string]: string;
}

/**
 * The policy covers every method and path of the stage, not only `methodArn`: API Gateway caches
 * the result per token, and a policy for one route would deny the caller's next, different route.
 */
function stageWildcard(methodArn: string): string {
  const [apiArn, stage] = methodArn.split('/');
  return apiArn && stage ? `${apiArn}/${stage}/*/*` : methodArn;
}

/** The `Authorization` header; a repeated one counts as none (the request is then refused). */
function authorizationHeader(event: APIGatewayRequestAuthorizerEvent): string | undefined {
  try {
    return header(event, 'authorization');
  } catch {
    return undefined;
  }
}

/**
 * API Gateway REQUEST authorizer: verifies `Authorization: Bearer <JWT>` (JWKS + issuer + audience
 * in AWS, HS256 `JWT_SECRET` locally) and allows the request with the caller in the context.
 * A missing or bad token throws `Unauthorized`, which API Gateway answers with 401 (its
 * UNAUTHORIZED gateway response carries the API's JSON error shape). Access rules (self, owner,
 * admin) are the handlers' business, so a valid token is never denied here.
 */
export function createAuthorizer(tokens: () => BearerTokenVerifier) {
  return middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      let principal: Awaited<ReturnType<typeof verifyBearerToken>>;
      try {
        principal = await verifyBearerToken(tokens(), authorizationHeader(event));
      } catch (error) {
        if (!(error instanceof UnauthorizedError)) throw error;
        logger.info('bearer token rejected', { reason: error.message, path: event.path });
        throw new Error('Unauthorized');
      }
      const context: AuthorizerContext = {
        userId: principal.userId,
        email: principal.email ?? '',
        roles: JSON.stringify(principal.roles),
      };
      return {
        principalId: principal.userId,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: stageWildcard(event.methodArn ?? '') },
          ],
        },
        context,
      };
    });
}

let verifier: BearerTokenVerifier | undefined;
export const handler = createAuthorizer(() => {
  verifier ??= tokenVerifierFromEnv();
  return verifier;
});
