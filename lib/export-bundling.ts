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
 * Modules left out of the bundle: the AWS SDK's credential sources a Lambda function never reaches.
 * The SDK's default chain takes the execution role's credentials from the environment first and
 * loads these by dynamic `import()` only when the environment has none (a profile, SSO, a web
 * identity, instance metadata); left out, they would then come from the runtime's own SDK. Bundled,
 * they and the STS/SSO clients they load add about 100 KiB (more than half of a bundle that uses no
 * other AWS client) to every cold start. Everything else, the clients the functions call included,
 * is bundled at the version the lock file pins. `scripts/bundle-size.ts` fails if one of these is
 * imported statically, i.e. needed at load time.
 */
export const EXTERNAL_MODULES: readonly string[] = [
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-web-identity',
  '@smithy/credential-provider-imds',
];

/** Upper bound for one minified bundle of the worker or the sweeper: keeps cold starts short. */
export const BUNDLE_BUDGET_BYTES = 1.5 * 1024 * 1024;

/** Upper bound for a bundle on the request path (an API route or the authorizer): a caller waits for its cold start. */
export const API_BUNDLE_BUDGET_BYTES = 700 * 1024;
