import { fileURLToPath } from 'node:url';
import { API_ROUTES, type RouteName } from '../functions/api/api-routes.js';

/** Repository root: `lib/` refers to Lambda code by file path only, relative to this directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The entries that serve no API route: the JWT authorizer, the queue worker, the stale-job sweeper, the webhook delivery. */
const OTHER_ENTRIES = {
  authorizer: 'functions/handlers/authorizer.ts',
  exportWorker: 'functions/handlers/export-worker.ts',
  sweepJobs: 'functions/handlers/sweep-jobs.ts',
  webhookDelivery: 'functions/handlers/webhook-delivery.ts',
} as const;

export type HandlerName = RouteName | keyof typeof OTHER_ENTRIES;

/**
 * Every Lambda entry point of the service, by construct-friendly name: one per API route (from the
 * route declaration, `functions/api/api-routes.ts`) plus the others. The stack, the infra tests,
 * the local runtime and `scripts/bundle-size.ts` read this list, so a handler is added in one place.
 */
export const HANDLER_ENTRIES: Readonly<Record<HandlerName, string>> = {
  ...OTHER_ENTRIES,
  ...(Object.fromEntries(
    Object.entries(API_ROUTES).map(([name, route]) => [name, `functions/handlers/${route.handler}`]),
  ) as Record<RouteName, string>),
};

/** Absolute path of a handler entry file. */
export function handlerEntryPath(name: HandlerName): string {
  return fileURLToPath(new URL(`../${HANDLER_ENTRIES[name]}`, import.meta.url));
}
