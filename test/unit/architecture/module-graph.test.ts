import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCycles, importsOf, type ModuleGraph } from '../../support/module-graph.js';

/**
 * The house plan (docs/architecture.md "Layout"), held by the import graph itself:
 * - the domain is plain TypeScript: no AWS SDK, Lambda types, Postgres driver or Powertools, and
 *   nothing from outside `functions/domain` (so the same rules run in Lambda, locally and in tests);
 * - an adapter never imports another adapter's module (shared mappers have modules of their own);
 * - no import cycle anywhere under `functions/`.
 */

const FUNCTIONS = fileURLToPath(new URL('../../../functions/', import.meta.url));
const DOMAIN = path.join(FUNCTIONS, 'domain');
const ADAPTERS = path.join(FUNCTIONS, 'adapters');
const FORBIDDEN_IN_DOMAIN = [/^@aws-sdk\//, /^aws-lambda$/, /^postgres$/, /^@aws-lambda-powertools\//];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(path.join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [path.join(dir, entry.name)]
        : [],
  );
}

const files = sourceFiles(FUNCTIONS);
const graph: ModuleGraph = new Map(files.map((file) => [file, importsOf(file, readFileSync(file, 'utf8'))]));
const within = (dir: string, file: string) => !path.relative(dir, file).startsWith('..');
const rel = (file: string) => path.relative(FUNCTIONS, file);

describe('the module graph of functions/', () => {
  it('reads the modules and their imports (control)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(
      importsOf(
        '/x/a/b.ts',
        "import type { Sql } from 'postgres';\nexport { y } from '../c/d.js';\nimport './e.js';",
      ),
    ).toEqual({ packages: ['postgres'], modules: ['/x/c/d.ts', '/x/a/e.ts'] });
    const cyclic: ModuleGraph = new Map([
      ['a', { packages: [], modules: ['b'] }],
      ['b', { packages: [], modules: ['c'] }],
      ['c', { packages: [], modules: ['a'] }],
      ['d', { packages: [], modules: ['a'] }],
    ]);
    expect(findCycles(cyclic)).toEqual([['a', 'b', 'c']]);
  });

  it('has no import cycle', () => {
    expect(findCycles(graph).map((cycle) => cycle.map(rel))).toEqual([]);
  });

  it.each(files.filter((file) => within(DOMAIN, file)).map((file) => [rel(file), file]))(
    '%s imports no AWS SDK, aws-lambda, postgres, Powertools or module outside the domain',
    (_, file) => {
      const { packages, modules } = graph.get(file)!;
      expect(packages.filter((name) => FORBIDDEN_IN_DOMAIN.some((pattern) => pattern.test(name)))).toEqual(
        [],
      );
      expect(modules.filter((module) => !within(DOMAIN, module)).map(rel)).toEqual([]);
    },
  );

  it.each(files.filter((file) => within(ADAPTERS, file)).map((file) => [rel(file), file]))(
    '%s imports no other adapter',
    (_, file) => {
      const { modules } = graph.get(file)!;
      expect(
        modules.filter((module) => within(ADAPTERS, module) && !isSharedModule(module)).map(rel),
      ).toEqual([]);
    },
  );
});

/** Modules adapters share by design: row mappers and error translation of one technology. */
function isSharedModule(file: string): boolean {
  return /\/adapters\/[a-z0-9]+\/(([a-z-]+-)?rows|errors|client(-[a-z-]+)?)\.ts$/.test(file);
}
