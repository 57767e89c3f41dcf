import { fileURLToPath } from 'node:url';
import { HANDLERS, type HandlerName } from '../functions/wiring/handlers.js';

export type { HandlerName };

/** Repository root: `lib/` refers to Lambda code by file path only, relative to this directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * Every Lambda entry point of the service by construct-friendly name, as a path relative to the
 * repository: the handler declaration (`functions/wiring/handlers.ts`) seen from `lib/`.
 */
export const HANDLER_ENTRIES: Readonly<Record<HandlerName, string>> = Object.fromEntries(
  Object.entries(HANDLERS).map(([name, declared]) => [name, `functions/handlers/${declared.handler}`]),
) as Record<HandlerName, string>;

/** Absolute path of a handler entry file. */
export function handlerEntryPath(name: HandlerName): string {
  return fileURLToPath(new URL(`../${HANDLER_ENTRIES[name]}`, import.meta.url));
}
