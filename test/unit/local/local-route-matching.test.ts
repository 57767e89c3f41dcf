import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../../local/route-matching.js';

const ROUTES = [
  { method: 'GET', resource: '/api/export/jobs', name: 'list' },
  { method: 'GET', resource: '/api/export/jobs/{jobId}', name: 'get' },
  { method: 'DELETE', resource: '/api/export/jobs/{jobId}', name: 'cancel' },
  { method: 'GET', resource: '/api/export/jobs/{jobId}/download', name: 'download' },
];

describe("the local gateway's route matching", () => {
  it('picks the resource and method, with no path parameters as null', () => {
    expect(matchRoute(ROUTES, 'GET', '/api/export/jobs')).toEqual({ route: ROUTES[0], pathParameters: null });
    expect(matchRoute(ROUTES, 'DELETE', '/api/export/jobs/j1')?.route.name).toBe('cancel');
  });

  it('decodes a path parameter, and keeps one that does not decode as sent', () => {
    expect(matchRoute(ROUTES, 'GET', '/api/export/jobs/a%20b/download')?.pathParameters).toEqual({
      jobId: 'a b',
    });
    expect(matchRoute(ROUTES, 'GET', '/api/export/jobs/%E0%A4%A')?.pathParameters).toEqual({
      jobId: '%E0%A4%A',
    });
  });

  it('matches nothing for an unknown method, an empty parameter or extra segments', () => {
    expect(matchRoute(ROUTES, 'POST', '/api/export/jobs')).toBeUndefined();
    expect(matchRoute(ROUTES, 'GET', '/api/export/jobs/')).toBeUndefined();
    expect(matchRoute(ROUTES, 'GET', '/api/export/jobs/j1/download/more')).toBeUndefined();
    expect(matchRoute(ROUTES, 'GET', '/api/export/job')).toBeUndefined();
  });
});
