import { API_ROUTES, type RouteName } from '../api/api-routes.js';
import type { HandlerNeeds } from './handler-needs.js';

/** One Lambda entry point: its file under `functions/handlers/` and what it needs. */
export interface HandlerDeclaration {
  readonly handler: string;
  readonly needs: HandlerNeeds;
}

/** The functions that serve no API route. */
const OTHER_HANDLERS = {
  /** Verifies bearer tokens for API Gateway; reads only its JWT settings. */
  authorizer: { handler: 'authorizer.ts', needs: { deps: 'none' } },
  /** Exports jobs and their chunks: writes objects, sends chunk messages, emails and publishes outcomes. */
  exportWorker: {
    handler: 'export-worker.ts',
    needs: {
      deps: 'worker',
      login: 'worker',
      objects: 'write',
      readBack: true,
      send: true,
      mail: true,
      linkSecret: true,
      events: true,
    },
  },
  /** Re-enqueues stale jobs and reports the outcomes of the jobs it finishes as a worker would. */
  sweepJobs: {
    handler: 'sweep-jobs.ts',
    needs: {
      deps: 'worker',
      login: 'sweeper',
      objects: 'discard',
      send: true,
      mail: true,
      linkSecret: true,
      events: true,
    },
  },
  /**
   * Fans events out to webhooks and delivers them; reads and writes only the service's tables.
   * Its queue and sealing key are created, and granted, by the construct that owns them.
   */
  webhookDelivery: { handler: 'webhook-delivery.ts', needs: { deps: 'webhooks', login: 'sweeper' } },
} as const satisfies Record<string, HandlerDeclaration>;

export type HandlerName = RouteName | keyof typeof OTHER_HANDLERS;

/**
 * Every Lambda entry point of the service, declared once: one per API route (from `API_ROUTES`)
 * and the others. The stack (entries and grants), the infra tests, the local runtime and
 * `scripts/bundle-size.ts` read this list, so a function is added in one place.
 */
export const HANDLERS: Readonly<Record<HandlerName, HandlerDeclaration>> = {
  ...OTHER_HANDLERS,
  ...(Object.fromEntries(
    Object.entries(API_ROUTES).map(([name, route]) => [name, { handler: route.handler, needs: route.needs }]),
  ) as Record<RouteName, HandlerDeclaration>),
};
