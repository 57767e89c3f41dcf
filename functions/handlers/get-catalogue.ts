import { API_ROUTES } from '../api/api-routes.js';
import { httpHandler, json, parseQuery } from '../api/http.js';
import { describeCatalogue } from '../domain/catalogue/catalogue.js';

const route = API_ROUTES.getCatalogue;

/**
 * `GET /catalogue` (any signed-in caller): the exportable tables and columns. It is code, not data,
 * so it needs no database; clients such as the console build their forms from it.
 */
export const handler = httpHandler(
  'get-catalogue',
  () => undefined,
  async (event) => {
    parseQuery(route.query, event);
    return json(200, describeCatalogue());
  },
);
