import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, parseQuery } from '../api/http.js';
import { openApiJson } from '../api/openapi.js';

const route = API_ROUTES.openapi;

/** `GET /openapi.json`: the OpenAPI 3.1 document (public; no authorizer, no database). */
export const handler = httpHandler(
  'openapi',
  () => undefined,
  async (event) => {
    parseQuery(route.query, event);
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300' },
      body: openApiJson(),
    };
  },
);
