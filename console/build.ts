import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { InlineConfig } from 'vite';
import { openApiJson } from '../functions/api/openapi.js';
import { CONSOLE_BASE_PATH, CONSOLE_DIST_DIR, CONSOLE_SOURCE_DIR } from '../lib/console-site.js';

/**
 * Builds the web console: its typed API client is generated from the service's OpenAPI document
 * (so the console cannot drift from the API), then Vite bundles it into `console/dist`. Both steps
 * are skipped when their inputs have not changed, so `npm start` and `npm test` can call this
 * every time.
 */

/** The generated API types and enum values (committed; `test/unit/console-api-types.test.ts` keeps them current). */
export const API_TYPES_FILE = path.join(CONSOLE_SOURCE_DIR, 'src', 'api', 'openapi.gen.ts');
const STAMP_FILE = '.build-stamp';
const HASH_LINE = /^\/\/ openapi-sha256: ([0-9a-f]{64})$/m;
const ROOT = path.resolve(CONSOLE_SOURCE_DIR, '..');

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

/** The TypeScript module `openapi-typescript` makes of `documentJson`: path types plus enum value arrays. */
export async function renderApiTypes(documentJson: string): Promise<string> {
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const document = JSON.parse(documentJson) as { servers?: { url: string }[] };
  const ast = await openapiTS(document as Parameters<typeof openapiTS>[0], { enumValues: true });
  const server = document.servers?.[0]?.url;
  if (!server) throw new Error('the OpenAPI document names no server URL');
  return [
    '// Generated from the service OpenAPI document (functions/api/openapi.ts) by console/build.ts.',
    '// Do not edit: `npm run console:api` regenerates it.',
    `// openapi-sha256: ${sha256(documentJson)}`,
    '',
    astToString(ast),
    "/** Base path of every route, the document's `servers[0].url`. */",
    `export const API_BASE_PATH = ${JSON.stringify(server)};`,
    '',
  ].join('\n');
}

/** Regenerates the API types when the OpenAPI document changed; true when it wrote the file. */
export async function syncApiTypes(documentJson = openApiJson()): Promise<boolean> {
  const current = existsSync(API_TYPES_FILE) ? await readFile(API_TYPES_FILE, 'utf8') : '';
  if (HASH_LINE.exec(current)?.[1] === sha256(documentJson)) return false;
  await writeFile(API_TYPES_FILE, await renderApiTypes(documentJson));
  return true;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** A hash of everything the build reads: sources, this build's settings, and the locked dependency versions. */
async function inputsHash(): Promise<string> {
  const files = [
    ...(await filesUnder(path.join(CONSOLE_SOURCE_DIR, 'src'))),
    path.join(CONSOLE_SOURCE_DIR, 'index.html'),
    path.join(CONSOLE_SOURCE_DIR, 'build.ts'),
    path.join(ROOT, 'lib', 'console-site.ts'),
    path.join(ROOT, 'package-lock.json'),
  ];
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${path.relative(ROOT, file)}\0`).update(await readFile(file));
  return hash.digest('hex');
}

/** Vite's settings for the console; `outDir` is where the static files land. */
export function consoleViteConfig(outDir: string): InlineConfig {
  return {
    configFile: false,
    root: CONSOLE_SOURCE_DIR,
    base: CONSOLE_BASE_PATH,
    publicDir: false,
    logLevel: 'warn',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      // Every asset stays a file: the CSP allows no inline scripts or styles.
      assetsInlineLimit: 0,
      reportCompressedSize: false,
    },
  };
}

/**
 * Moves a finished build into `console/dist`. Another process (`npm start` beside `npm test`, or
 * `cdk synth`) may be swapping in its own build at the same moment: when `dist` reappears between
 * the two renames and holds a build of the same inputs, that one is kept; otherwise it is retired too.
 */
const SWAP_ATTEMPTS = 5;

async function swapIn(staging: string, retired: string, hash: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      if (existsSync(CONSOLE_DIST_DIR)) await rename(CONSOLE_DIST_DIR, `${retired}-${attempt}`);
      await rename(staging, CONSOLE_DIST_DIR);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw error;
      const stampFile = path.join(CONSOLE_DIST_DIR, STAMP_FILE);
      const theirs = existsSync(stampFile) ? (await readFile(stampFile, 'utf8')).trim() : '';
      if (theirs === hash) return;
      if (attempt >= SWAP_ATTEMPTS)
        throw new Error('console/dist keeps being replaced by other builds', { cause: error });
    }
  }
}

export interface EnsureConsoleBuiltOptions {
  readonly log?: (line: string) => void;
  /** Build even when the inputs are unchanged. */
  readonly force?: boolean;
}

/**
 * Builds the console into `console/dist` unless the build there was made from the same inputs.
 * The new build is written next to it and swapped in, so a server never sees a half-written one.
 */
export async function ensureConsoleBuilt(
  options: EnsureConsoleBuiltOptions = {},
): Promise<{ built: boolean }> {
  const log = options.log ?? (() => {});
  if (await syncApiTypes()) log('console: regenerated its API types from the OpenAPI document');
  const hash = await inputsHash();
  const stampFile = path.join(CONSOLE_DIST_DIR, STAMP_FILE);
  const stamp = existsSync(stampFile) ? (await readFile(stampFile, 'utf8')).trim() : '';
  if (!options.force && stamp === hash && existsSync(path.join(CONSOLE_DIST_DIR, 'index.html'))) {
    return { built: false };
  }
  log('console: building the web console (Vite)…');
  const started = performance.now();
  const staging = path.join(CONSOLE_SOURCE_DIR, `.dist-${randomUUID()}`);
  const retired = `${staging}-old`;
  try {
    const { build } = await import('vite');
    await build(consoleViteConfig(staging));
    await writeFile(path.join(staging, STAMP_FILE), `${hash}\n`);
    await mkdir(path.dirname(CONSOLE_DIST_DIR), { recursive: true });
    await swapIn(staging, retired, hash);
  } finally {
    await rm(staging, { recursive: true, force: true });
    for (let attempt = 1; attempt <= SWAP_ATTEMPTS; attempt += 1)
      await rm(`${retired}-${attempt}`, { recursive: true, force: true });
  }
  log(`console: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { built: true };
}
