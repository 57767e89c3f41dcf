import type { Gateway, UsagePlanLimits } from '../../local/gateway.js';
import { startGateway } from '../../local/gateway.js';
import { gatewayRoutes } from '../../local/gateway-routes.js';
import type { ApiHarness } from './api-harness.js';

/** The API key the test gateway accepts. */
export const TEST_API_KEY = 'test-api-key-0123456789abcdef';

export interface ApiGatewayOptions {
  /** @default effectively unlimited, so only the service's own limits apply */
  readonly usagePlan?: UsagePlanLimits;
  /** Told each request the gateway could not hand to a handler (a crash, a malformed result). */
  readonly logError?: (message: string, error: unknown) => void;
}

/**
 * The harness's handlers behind the local API gateway on a free port: requests go over real HTTP
 * through the gateway's request mapping, authorizer, API key check and response mapping, with the
 * routes the local runtime serves (`gatewayRoutes`).
 */
export function startApiGateway(api: ApiHarness, options: ApiGatewayOptions = {}): Promise<Gateway> {
  return startGateway({
    routes: gatewayRoutes((name) => async () => api.handlers[name]),
    authorizer: async () => api.authorizer,
    apiKeys: [TEST_API_KEY],
    usagePlan: options.usagePlan ?? { rateLimit: 1_000_000, burstLimit: 1_000_000 },
    port: 0,
    logError: options.logError ?? (() => {}),
  });
}
