import type { RouteSpec } from './route-spec.js';
import { EXPORT_ROUTES } from './routes/exports.js';
import { JOB_ROUTES } from './routes/jobs.js';
import { SCHEDULE_ROUTES } from './routes/schedules.js';
import { SERVICE_ROUTES } from './routes/service.js';
import { WEBHOOK_ROUTES } from './routes/webhooks.js';

/**
 * The HTTP API, declared once (docs/api.md): every route's method, path, handler, who may call it,
 * its parameters, body and responses, and its Lambda's needs. The handlers validate with these
 * schemas, `openapi.ts` documents them, `lib/export-api.ts` deploys them and the local gateway
 * serves them; tests check that each reader agrees with this table.
 */

export { API_BASE_PATH } from '../domain/access/api-paths.js';

/**
 * Media types API Gateway may turn a base64 proxy body into bytes for (and the local gateway
 * base64-encodes request bodies of): all of them, since browsers and curl send `Accept: *\/*`.
 */
export const BINARY_MEDIA_TYPES: readonly string[] = ['*/*'];

export type { Access, HeaderSpec, ObjectSchema, ResponseSpec, RouteSpec } from './route-spec.js';
export { queryParameterNames } from './route-spec.js';

/** Every route of the API, in documentation order; each capability declares its own in `routes/`. */
export const API_ROUTES = {
  ...EXPORT_ROUTES,
  ...JOB_ROUTES,
  ...SCHEDULE_ROUTES,
  ...SERVICE_ROUTES,
  ...WEBHOOK_ROUTES,
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof API_ROUTES;
