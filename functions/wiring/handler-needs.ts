/**
 * What each Lambda needs beyond its code, declared once with the function: which dependencies it
 * builds at cold start, the database login it connects as, which objects it may touch, and which
 * secrets, queues and buses it uses. The API routes carry theirs in `API_ROUTES`; the other
 * functions are declared in `handlers.ts`. The stack grants exactly these (an env var never exists
 * without its grant), the infra tests check each function's policy against them, and the local
 * runtime connects each function as its declared login.
 */
export interface HandlerNeeds {
  /** `api`/`worker`/`webhooks`: builds that group's dependencies at cold start; `none`: reads no configuration. */
  readonly deps: 'api' | 'worker' | 'webhooks' | 'none';
  /** The database login it connects as (`db/service-roles.ts` names each login's role). */
  readonly login?: ServiceLoginKind;
  /**
   * Object access on the export prefixes: `read` for downloads, `write` for exports, `discard` to
   * remove the objects of attempts that are no job's result.
   */
  readonly objects?: ObjectAccess;
  /** Reads back the chunk files it wrote across invocations (API export prefix only). */
  readonly readBack?: boolean;
  /** Sends export messages (creates jobs, chunks, continuations). */
  readonly send?: boolean;
  /** Sends the outcome emails. */
  readonly mail?: boolean;
  /** Signs or verifies download link tokens: the only functions that may read the link secret. */
  readonly linkSecret?: boolean;
  /** Publishes the outcome events on the bus. */
  readonly events?: boolean;
  /** Sends to the webhook delivery queue. */
  readonly webhookQueue?: boolean;
  /** Seals or opens webhook signing secrets: the only functions that may read the webhook key. */
  readonly webhookKey?: boolean;
}

/** The function groups that connect to the database, each as its own login. */
export type ServiceLoginKind = 'api' | 'worker' | 'sweeper';

export type ObjectAccess = 'read' | 'write' | 'discard';

/** What a request function that only reads and writes the service's tables needs. */
export const API_TABLES: HandlerNeeds = { deps: 'api', login: 'api' };

/** What a function that reads no configuration at all needs: nothing. */
export const NOTHING: HandlerNeeds = { deps: 'none' };
