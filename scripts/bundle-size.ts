/**
 * Bundles every Lambda entry exactly as `ExportFunction` does (esbuild, ESM, minified, Node 24
 * target, same banner and externals) and prints each bundle's minified size against its budget
 * (700 KiB on the request path: API routes and the authorizer; 1.5 MiB for the worker and the
 * sweeper), its largest inputs, and its cold-start import time: the median of fresh `node`
 * processes importing the bundle. Exits 1 when a bundle is over budget or fails to build.
 *
 *   npx tsx scripts/bundle-size.ts [--json]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { API_ROUTES } from '../functions/api/api-routes.js';
import {
  API_BUNDLE_BUDGET_BYTES,
  BUNDLE_BUDGET_BYTES,
  ESM_REQUIRE_BANNER,
  EXTERNAL_MODULES,
  LAMBDA_NODE_TARGET,
  MAIN_FIELDS,
} from '../lib/export-bundling.js';
import { HANDLER_ENTRIES, type HandlerName, handlerEntryPath, PROJECT_ROOT } from '../lib/handler-entries.js';

interface BundleReport {
  readonly name: HandlerName;
  readonly entry: string;
  readonly bytes?: number;
  readonly budgetBytes: number;
  /** Median milliseconds for a fresh Node.js process to import the bundle (module initialisation). */
  readonly importMs?: number;
  readonly largestInputs?: ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
  readonly error?: string;
}

const onRequestPath = (name: HandlerName) => name === 'authorizer' || Object.hasOwn(API_ROUTES, name);
const IMPORT_RUNS = 3;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'bundle-size-'));

/** Median import time of `file` over fresh processes; the environment a Lambda would have is faked. */
function importMs(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  const env = {
    ...process.env,
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_REGION: 'us-east-1',
  };
  const times = Array.from({ length: IMPORT_RUNS }, () =>
    Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env }).toString().trim()),
  ).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

async function measure(name: HandlerName): Promise<BundleReport> {
  const entry = HANDLER_ENTRIES[name];
  const entryPath = handlerEntryPath(name);
  const budgetBytes = onRequestPath(name) ? API_BUNDLE_BUDGET_BYTES : BUNDLE_BUDGET_BYTES;
  if (!existsSync(entryPath)) return { name, entry, budgetBytes, error: 'entry file not found' };
  try {
    const result = await build({
      absWorkingDir: PROJECT_ROOT,
      entryPoints: [entryPath],
      bundle: true,
      write: false,
      outfile: 'index.mjs',
      platform: 'node',
      format: 'esm',
      target: LAMBDA_NODE_TARGET,
      minify: true,
      mainFields: [...MAIN_FIELDS],
      external: [...EXTERNAL_MODULES],
      banner: { js: ESM_REQUIRE_BANNER },
      metafile: true,
      logLevel: 'silent',
    });
    const output = result.outputFiles.find((file) => file.path.endsWith('index.mjs'));
    const loadTimeExternals = staticExternals(result.metafile);
    if (loadTimeExternals.length > 0) {
      return { name, entry, budgetBytes, error: `imports at load time: ${loadTimeExternals.join(', ')}` };
    }
    const file = path.join(scratch, `${name}.mjs`);
    writeFileSync(file, output?.contents ?? '');
    return {
      name,
      entry,
      budgetBytes,
      bytes: output?.contents.byteLength ?? 0,
      importMs: importMs(file),
      largestInputs: largestInputs(result.metafile),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { name, entry, budgetBytes, error: message };
  }
}

/**
 * External modules the bundle imports statically. Those are left out because they are only ever
 * reached by a dynamic import the function never makes; a static import would need them at load time.
 */
function staticExternals(metafile: Metafile): string[] {
  const found = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) {
      const left = EXTERNAL_MODULES.some((m) => imported.path === m || imported.path.startsWith(`${m}/`));
      if (imported.external && left && imported.kind !== 'dynamic-import') found.add(imported.path);
    }
  }
  return [...found];
}

/** Bytes each package (or first-party file) contributes to the output, largest first. */
function largestInputs(metafile: Metafile): Array<{ path: string; bytes: number }> {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
      const key = match?.[1] ?? input;
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .map(([path, bytes]) => ({ path, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 5);
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

// One at a time: the import times are measured on an otherwise idle process tree.
const reports: BundleReport[] = [];
for (const name of Object.keys(HANDLER_ENTRIES) as HandlerName[]) reports.push(await measure(name));
rmSync(scratch, { recursive: true, force: true });
const failed = reports.filter((r) => r.error !== undefined || (r.bytes ?? 0) > r.budgetBytes);

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ bundles: reports }, null, 2));
} else {
  console.log(
    `Lambda bundles (minified ESM, ${LAMBDA_NODE_TARGET}); budget ${kib(API_BUNDLE_BUDGET_BYTES)} on the request path, ${kib(BUNDLE_BUDGET_BYTES)} otherwise; import = median cold import of ${IMPORT_RUNS} fresh processes\n`,
  );
  for (const report of reports) {
    if (report.error !== undefined) {
      console.log(`✗ ${report.name.padEnd(14)} ${report.entry}: ${report.error}`);
      continue;
    }
    const bytes = report.bytes ?? 0;
    const mark = bytes > report.budgetBytes ? '✗' : '✓';
    const top = (report.largestInputs ?? []).map((i) => `${i.path} ${kib(i.bytes)}`).join(', ');
    const ms = `${Math.round(report.importMs ?? 0)} ms`.padStart(7);
    console.log(
      `${mark} ${report.name.padEnd(14)} ${kib(bytes).padStart(11)} / ${kib(report.budgetBytes)} ${ms}  ${top}`,
    );
  }
  const total = reports.reduce((sum, r) => sum + (r.bytes ?? 0), 0);
  console.log(`\n${reports.length} bundles, ${kib(total)} in total; ${failed.length} over budget or failed`);
}
process.exitCode = failed.length > 0 ? 1 : 0;
