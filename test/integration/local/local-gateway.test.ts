import http from 'node:http';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../../../local/gateway.js';

const API_KEY = 'local-gateway-test-key';
const ALLOW: APIGatewayAuthorizerResult = {
  principalId: 'someone',
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }],
  },
  context: { userId: 'someone' },
};

let gateway: Gateway;
const events: APIGatewayProxyEvent[] = [];
const errors: unknown[] = [];

beforeAll(async () => {
  gateway = await startGateway({
    routes: [
      {
        method: 'GET',
        resource: '/api/export/limits',
        functionName: 'echo',
        authorizer: true,
        apiKeyRequired: true,
        handler: async () => async (event) => {
          events.push(event);
          return { statusCode: 200, body: '{}' };
        },
      },
    ],
    authorizer: async () => async () => ALLOW,
    apiKeys: [API_KEY],
    usagePlan: { rateLimit: 10_000, burstLimit: 10_000 },
    port: 0,
    logError: (_message, error) => errors.push(error),
  });
});

afterAll(async () => {
  await gateway?.close();
});

/** A raw request over HTTP (fetch would refuse some of these header names). */
function get(path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${gateway.url}${path}`,
      { headers: { 'x-api-key': API_KEY, authorization: 'Bearer x', ...headers } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

const OBJECT_MEMBERS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

describe('request data named like object members reaches the handler as plain keys', () => {
  it.each(OBJECT_MEMBERS)('query parameter %s, given twice', async (name) => {
    events.length = 0;

    const status = await get(`/api/export/limits?${name}=1&${name}=2`);

    expect(status).toBe(200);
    const [event] = events;
    expect(Object.hasOwn(event!.queryStringParameters!, name)).toBe(true);
    expect(event!.queryStringParameters![name]).toBe('2');
    expect(event!.multiValueQueryStringParameters![name]).toEqual(['1', '2']);
    expect(Object.keys(event!.queryStringParameters!)).toEqual([name]);
  });

  it.each(OBJECT_MEMBERS)('header %s', async (name) => {
    events.length = 0;

    const status = await get('/api/export/limits', { [name]: '1' });

    expect(status).toBe(200);
    const [event] = events;
    expect(Object.hasOwn(event!.headers, name)).toBe(true);
    expect(event!.headers[name]).toBe('1');
    expect(event!.multiValueHeaders[name]).toEqual(['1']);
  });

  it('logged no gateway error', () => {
    expect(errors).toEqual([]);
  });
});
