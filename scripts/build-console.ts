import { parseArgs } from 'node:util';
import { ensureConsoleBuilt, syncApiTypes } from '../console/build.js';

/**
 * `npm run console:build [-- --force]`: builds the web console into `console/dist` when its inputs
 * changed. `npm run console:api`: only regenerates its API types from the OpenAPI document.
 */
const { values } = parseArgs({ options: { types: { type: 'boolean' }, force: { type: 'boolean' } } });
if (values.types) {
  console.log((await syncApiTypes()) ? 'console API types regenerated' : 'console API types are current');
} else {
  const { built } = await ensureConsoleBuilt({ log: console.log, force: values.force ?? false });
  if (!built) console.log('console build is current (console/dist)');
}
