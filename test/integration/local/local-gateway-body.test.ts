import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, type ProxyHandler, startGateway } from '../../../local/gateway.js';

/**
 * The local gateway's order of checks with request bodies: a caller is authenticated (authorizer,
 * API key) before a byte of the body is read, as API Gateway bounds what an anonymous client costs.
 */

const API_KEY = 'gateway-test-key';
const bodies: string[] = [];
let gateway: Gateway;

beforeAll(async () => {
  const handler: ProxyHandler = async (event) => {
    bodies.push(event.isBase64Encoded ? `base64:${event.body}` : (event.body ?? ''));
    return { statusCode: 200, body: '{}' };
  };
  gateway = await startGateway({
    routes: [
      {
        method: 'POST',
        resource: '/api/export/bulk',
        functionName: 'bulk',
        authorizer: true,
        apiKeyRequired: true,
        handler: async () => handler,
      },
    ],
    authorizer: async () => async (event) => {
      if (event.headers?.Authorization !== 'Bearer good') throw new Error('Unauthorized');
      return {
        principalId: 'user',
        policyDocument: {
          Version: '2012-10-17',
          Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }],
        },
        context: { userId: 'user' },
      };
    },
    apiKeys: [API_KEY],
    usagePlan: { rateLimit: 100, burstLimit: 100 },
    port: 0,
    maxBodyBytes: 8 * 1024 * 1024,
  });
});

afterAll(async () => {
  await gateway.close();
});

/**
 * Starts a POST announcing `declared` bytes, sends only the first KiB, and resolves with the
 * response status if one arrives while most of the body is still unsent.
 */
function postPartially(headers: Record<string, string>, declared: number): Promise<number | 'no answer'> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${gateway.url}/api/export/bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(declared), ...headers },
    });
    const timer = setTimeout(() => {
      request.destroy();
      resolve('no answer');
    }, 5_000);
    request.on('response', (response) => {
      clearTimeout(timer);
      response.resume();
      request.destroy();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', (error) => {
      clearTimeout(timer);
      if ((error as NodeJS.ErrnoException).code === 'ECONNRESET') resolve('no answer');
      else reject(error);
    });
    request.write('x'.repeat(1024));
  });
}

describe('local gateway', () => {
  it('refuses an unauthenticated request before reading its body', async () => {
    const status = await postPartially({ 'x-api-key': API_KEY }, 4 * 1024 * 1024);

    expect(status).toBe(401);
    expect(bodies).toEqual([]);
  });

  it('refuses a request without a valid API key before reading its body', async () => {
    const status = await postPartially(
      { Authorization: 'Bearer good', 'x-api-key': 'wrong' },
      4 * 1024 * 1024,
    );

    expect(status).toBe(403);
    expect(bodies).toEqual([]);
  });

  it('refuses a declared size over the limit at once', async () => {
    const status = await postPartially(
      { Authorization: 'Bearer good', 'x-api-key': API_KEY },
      9 * 1024 * 1024,
    );

    expect(status).toBe(413);
  });

  it('reads the whole body of an authenticated request and hands it to the handler base64-encoded, as API Gateway does with the stack binary media types', async () => {
    const response = await fetch(`${gateway.url}/api/export/bulk`, {
      method: 'POST',
      headers: { Authorization: 'Bearer good', 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ tables: ['users'] }),
    });

    expect(response.status).toBe(200);
    expect(bodies).toEqual([`base64:${Buffer.from('{"tables":["users"]}').toString('base64')}`]);
  });
});
