import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import {
  contentDisposition,
  errorResponse,
  file,
  header,
  jsonBody,
  parseBody,
  parsePath,
  parseQuery,
  prefersAsync,
  principalFromEvent,
} from '../../../functions/api/http.js';
import {
  ConflictError,
  DependencyError,
  ExportError,
  ForbiddenError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from '../../../functions/domain/errors.js';
import { apiEvent, bodyOf, headerOf } from '../../support/api-events.js';

const log = () => ({ error: vi.fn(), warn: vi.fn(), debug: vi.fn() });

describe('errorResponse', () => {
  it.each([
    [ValidationError.field('format', 'bad'), 400, 'validation_failed'],
    [new UnauthorizedError(), 401, 'unauthorized'],
    [new ForbiddenError(), 403, 'forbidden'],
    [new NotFoundError(), 404, 'not_found'],
    [new ConflictError('taken', { jobId: 'x' }), 409, 'conflict'],
    [new PayloadTooLargeError(), 413, 'payload_too_large'],
    [new RateLimitedError(42), 429, 'rate_limited'],
    [new DependencyError('db down'), 503, 'dependency_unavailable'],
  ])('maps %s to its status and code', (error, status, code) => {
    const response = errorResponse(error, log());

    expect(response.statusCode).toBe(status);
    expect(bodyOf(response)).toMatchObject({ error: { code, message: expect.any(String) } });
    expect(headerOf(response, 'content-type')).toMatch(/^application\/json/);
  });

  it('names the fields of a validation error in details', () => {
    const response = errorResponse(
      new ValidationError([{ field: 'tables[0]', message: 'unknown table' }]),
      log(),
    );

    expect(bodyOf(response)).toEqual({
      error: {
        code: 'validation_failed',
        message: 'tables[0]: unknown table',
        details: [{ field: 'tables[0]', message: 'unknown table' }],
      },
    });
  });

  it('adds Retry-After to 429 and 503, WWW-Authenticate to 401', () => {
    expect(headerOf(errorResponse(new RateLimitedError(42), log()), 'retry-after')).toBe('42');
    expect(headerOf(errorResponse(new DependencyError('x'), log()), 'retry-after')).toBe('5');
    expect(headerOf(errorResponse(new UnauthorizedError(), log()), 'www-authenticate')).toBe('Bearer');
  });

  it('hides unexpected errors behind a 500 internal_error and logs them once', () => {
    const logger = log();

    const response = errorResponse(new TypeError('secret detail'), logger);

    expect(response.statusCode).toBe(500);
    expect(bodyOf(response)).toEqual({
      error: { code: 'internal_error', message: expect.not.stringContaining('secret') },
    });
    expect(logger.error).toHaveBeenCalledTimes(1);
  });

  it('treats a deliberate error with a 5xx status other than 503 as internal', () => {
    const response = errorResponse(
      new ExportError('source_unavailable', 'relation does not exist', 500),
      log(),
    );

    expect(bodyOf(response)).toMatchObject({ error: { code: 'internal_error' } });
  });
});

describe('request parsing', () => {
  it('refuses a body over the limit with 413, before and after base64 decoding', () => {
    expect(() => jsonBody(apiEvent({ body: 'x'.repeat(101) }), 100)).toThrow(PayloadTooLargeError);
    expect(() =>
      jsonBody(
        apiEvent({ body: Buffer.from('x'.repeat(101)).toString('base64'), isBase64Encoded: true }),
        100,
      ),
    ).toThrow(PayloadTooLargeError);
  });

  it('names body when the JSON is malformed or not UTF-8', () => {
    const error = (() => {
      try {
        jsonBody(apiEvent({ body: '{"tables": [' }), 1000);
      } catch (e) {
        return e as ValidationError;
      }
    })();
    expect(error?.issues[0]?.field).toBe('body');
    expect(() =>
      jsonBody(
        apiEvent({ body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), isBase64Encoded: true }),
        1000,
      ),
    ).toThrow(ValidationError);
  });

  it('parses a base64-encoded JSON body (binary media types on the REST API)', () => {
    const body = Buffer.from('{"a":1}').toString('base64');

    expect(jsonBody(apiEvent({ body, isBase64Encoded: true }), 1000)).toEqual({ a: 1 });
  });

  it('rejects unknown and repeated query parameters, naming them', () => {
    const schema = z.strictObject({ format: z.string().optional() });

    expect(() => parseQuery(schema, apiEvent({ query: { format: 'csv', colour: 'red' } }))).toThrow(/colour/);
    expect(() => parseQuery(schema, apiEvent({ multiQuery: { format: ['csv', 'json'] } }))).toThrow(/format/);
    expect(parseQuery(schema, apiEvent({ query: { format: 'csv' } }))).toEqual({ format: 'csv' });
  });

  it.each([
    ['{"__proto__": {"a": 1}}', '__proto__'],
    ['{"tables": ["users"], "filters": {"__proto__": {"dateFrom": "nonsense"}}}', 'filters.__proto__'],
    ['{"columns": {"users": [{"__proto__": 1}]}}', 'columns.users[0].__proto__'],
  ])(
    'refuses a JSON body with a __proto__ key (%s), which zod would drop unvalidated, naming it',
    (body, field) => {
      const fields = (() => {
        try {
          parseBody(z.unknown(), apiEvent({ body }), 1000);
        } catch (e) {
          return (e as ValidationError).issues.map((i) => i.field);
        }
        return [];
      })();

      expect(fields).toEqual([field]);
    },
  );

  it('keeps keys named like object members as plain keys', () => {
    expect(jsonBody(apiEvent({ body: '{"constructor": {"toString": 1}}' }), 1000)).toEqual({
      constructor: { toString: 1 },
    });
  });

  it.each(['__proto__', 'constructor', 'toString'])(
    'refuses a query or path parameter named %s as an unknown field, also from a JSON-parsed event',
    (name) => {
      const schema = z.strictObject({ format: z.string().optional() });
      // API Gateway's event is JSON: a `__proto__` key arrives as an own property.
      const params = JSON.parse(`{"${name}": "1", "format": "csv"}`) as Record<string, string>;
      const event = { ...apiEvent(), queryStringParameters: params, pathParameters: params };

      expect(() => parseQuery(schema, event)).toThrow(new RegExp(`${name}: unknown field`));
      expect(() => parsePath(schema, event)).toThrow(new RegExp(`${name}: unknown field`));
    },
  );

  it('reads headers case-insensitively and finds respond-async among other preferences', () => {
    const event = apiEvent({ headers: { PREFER: 'handling=lenient, Respond-Async; wait=10' } });

    expect(header(event, 'prefer')).toContain('handling');
    expect(prefersAsync(event)).toBe(true);
    expect(prefersAsync(apiEvent({ headers: { Prefer: 'return=minimal' } }))).toBe(false);
  });

  it('builds the principal from the authorizer context, or refuses with 401', () => {
    const event = apiEvent({ authorizer: { userId: 'u1', email: '', roles: '["admin"]' } });

    expect(principalFromEvent(event)).toEqual({ userId: 'u1', email: null, roles: ['admin'], isAdmin: true });
    expect(() => principalFromEvent(apiEvent())).toThrow(UnauthorizedError);
    expect(() => principalFromEvent(apiEvent({ authorizer: { userId: 'u1', roles: '{oops' } }))).toThrow(
      UnauthorizedError,
    );
  });
});

describe('responses', () => {
  it('sends binary files base64-encoded with a download name', () => {
    const response = file(Buffer.from([0x50, 0x4b, 0x03, 0x04]), 'application/zip', 'user-1-export.zip');

    expect(response).toMatchObject({ statusCode: 200, isBase64Encoded: true, body: 'UEsDBA==' });
    expect(headerOf(response, 'content-disposition')).toBe(
      `attachment; filename="user-1-export.zip"; filename*=UTF-8''user-1-export.zip`,
    );
  });

  it('sends text files as text', () => {
    expect(file(Buffer.from('{"a":1}'), 'application/json; charset=utf-8', 'x.json')).toMatchObject({
      isBase64Encoded: false,
      body: '{"a":1}',
    });
  });

  it('keeps quotes and non-ASCII out of the plain filename', () => {
    expect(contentDisposition('a"b\u00e9.csv')).toBe(
      `attachment; filename="a_b_.csv"; filename*=UTF-8''a%22b%C3%A9.csv`,
    );
  });
});
