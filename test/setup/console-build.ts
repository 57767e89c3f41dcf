import { ensureConsoleBuilt } from '../../console/build.js';

/**
 * Builds the web console once before the end-to-end tests (the runtime serves `console/dist`),
 * so the browser tests always drive the current sources. Skipped when they are unchanged.
 */
export default async function setup() {
  await ensureConsoleBuilt({ log: (line) => console.log(line) });
}
