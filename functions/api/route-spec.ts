import type * as z from 'zod/mini';
import type { Schema } from '../domain/validation.js';
import type { HandlerNeeds } from '../wiring/handler-needs.js';

/** A strict object schema of query or path parameters. */
export type ObjectSchema = z.ZodMiniObject;

export type Access = 'any' | 'self-or-admin' | 'owner-or-admin' | 'admin' | 'public';

export interface HeaderSpec {
  readonly name: string;
  readonly schema: Schema;
  readonly description: string;
}

export interface ResponseSpec {
  readonly description: string;
  readonly schema?: Schema;
  /** Content types other than JSON (file downloads). */
  readonly contentTypes?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteSpec {
  readonly operationId: string;
  readonly method: 'get' | 'post' | 'delete';
  /** Path under {@link API_BASE_PATH}. */
  readonly path: string;
  /** Handler file under `functions/handlers/`. */
  readonly handler: string;
  readonly summary: string;
  readonly access: Access;
  /** Bearer token required (through the authorizer); the download route also takes a link token. */
  readonly auth: 'bearer' | 'bearer-or-link' | 'none';
  /** Counted against the per-user export window. */
  readonly rateLimited: boolean;
  /**
   * What the route's function needs (its database login, objects, secrets, queues): what the
   * stack grants it and nothing more. A function with a login runs in the database's network.
   */
  readonly needs: HandlerNeeds;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default API Gateway's integration limit, 29 */
  readonly timeoutSeconds?: number;
  readonly pathParams?: ObjectSchema;
  readonly query: ObjectSchema;
  readonly headers?: readonly HeaderSpec[];
  readonly body?: Schema;
  readonly responses: Readonly<Record<number, ResponseSpec>>;
}

/** The names of a route's query parameters, as its schema declares them. */
export function queryParameterNames(route: RouteSpec): string[] {
  return Object.keys(route.query.def.shape);
}
