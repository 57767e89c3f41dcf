import { API_BASE_PATH, API_ROUTES, type RouteName } from '../functions/api/api-routes.js';
import type { GatewayRoute, ProxyHandler } from './gateway.js';

/**
 * The local gateway's routes, from the route table as the stack wires them (lib/export-api.ts):
 * the download link is opened in a browser, so it needs neither the authorizer nor an API key;
 * the OpenAPI document needs a key only; every other route needs both. The local runtime and the
 * tests that drive the API over HTTP build their gateway from this one mapping.
 */
export function gatewayRoutes(handlerOf: (name: RouteName) => () => Promise<ProxyHandler>): GatewayRoute[] {
  return (Object.keys(API_ROUTES) as RouteName[]).map((name) => {
    const route = API_ROUTES[name];
    return {
      method: route.method.toUpperCase(),
      resource: `${API_BASE_PATH}${route.path}`,
      functionName: name,
      authorizer: route.auth === 'bearer',
      apiKeyRequired: route.auth !== 'bearer-or-link',
      handler: handlerOf(name),
    };
  });
}
