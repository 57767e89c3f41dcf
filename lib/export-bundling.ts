/**
 * The esbuild settings every Lambda bundle shares. `ExportFunction` hands them to `NodejsFunction`
 * and `scripts/bundle-size.ts` passes the same values to esbuild directly, so the size it reports is
 * the size that ships.
 */

/** Node.js version of the Lambda runtime (`Runtime.NODEJS_24_X`); esbuild targets the same. */
export const LAMBDA_NODE_TARGET = 'node24';

/**
 * ESM bundles still contain CommonJS dependencies that call `require()` for Node built-ins; in an
 * ES module `require` is not defined, so the bundle gets one from `createRequire` before any code runs.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module';const require = __createRequire(import.meta.url);";

/** Prefer the ES module build of a dependency so that esbuild can tree-shake it. */
export const MAIN_FIELDS: readonly string[] = ['module', 'main'];

/**
 * Modules left out of the bundle. Empty on purpose: the AWS SDK v3 clients are bundled at the
 * versions the lock file pins instead of whatever version the Lambda runtime happens to ship, and
 * tree-shaking keeps them small (see `npx tsx scripts/bundle-size.ts`).
 */
export const EXTERNAL_MODULES: readonly string[] = [];

/** Upper bound for one minified bundle of the worker or the sweeper: keeps cold starts short. */
export const BUNDLE_BUDGET_BYTES = 1.5 * 1024 * 1024;

/** Upper bound for a bundle on the request path (an API route or the authorizer): a caller waits for its cold start. */
export const API_BUNDLE_BUDGET_BYTES = 700 * 1024;
