/**
 * Bundles every Lambda entry exactly as `ExportFunction` does (esbuild, ESM, minified, Node 24
 * target, same banner and externals) and prints each bundle's minified size against the 1.5 MB
 * budget, with its largest inputs. Exits 1 when a bundle is over budget or fails to build.
 *
 *   npx tsx scripts/bundle-size.ts [--json]
 */
import { existsSync } from 'node:fs';
import { build, type Metafile } from 'esbuild';
import {
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
  readonly largestInputs?: ReadonlyArray<{ readonly path: string; readonly bytes: number }>;
  readonly error?: string;
}

async function measure(name: HandlerName): Promise<BundleReport> {
  const entry = HANDLER_ENTRIES[name];
  const path = handlerEntryPath(name);
  if (!existsSync(path)) return { name, entry, error: 'entry file not found' };
  try {
    const result = await build({
      absWorkingDir: PROJECT_ROOT,
      entryPoints: [path],
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
    return {
      name,
      entry,
      bytes: output?.contents.byteLength ?? 0,
      largestInputs: largestInputs(result.metafile),
    };
  } catch (error) {
    return { name, entry, error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
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

const reports = await Promise.all((Object.keys(HANDLER_ENTRIES) as HandlerName[]).map(measure));
const failed = reports.filter((r) => r.error !== undefined || (r.bytes ?? 0) > BUNDLE_BUDGET_BYTES);

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ budgetBytes: BUNDLE_BUDGET_BYTES, bundles: reports }, null, 2));
} else {
  console.log(`Lambda bundles (minified ESM, ${LAMBDA_NODE_TARGET}); budget ${kib(BUNDLE_BUDGET_BYTES)}\n`);
  for (const report of reports) {
    if (report.error !== undefined) {
      console.log(`✗ ${report.name.padEnd(14)} ${report.entry}: ${report.error}`);
      continue;
    }
    const bytes = report.bytes ?? 0;
    const mark = bytes > BUNDLE_BUDGET_BYTES ? '✗' : '✓';
    const top = (report.largestInputs ?? []).map((i) => `${i.path} ${kib(i.bytes)}`).join(', ');
    console.log(`${mark} ${report.name.padEnd(14)} ${kib(bytes).padStart(11)}  ${top}`);
  }
  const total = reports.reduce((sum, r) => sum + (r.bytes ?? 0), 0);
  console.log(`\n${reports.length} bundles, ${kib(total)} in total; ${failed.length} over budget or failed`);
}
process.exitCode = failed.length > 0 ? 1 : 0;
