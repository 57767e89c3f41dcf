import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The domain is plain TypeScript (STYLE.md "Where code lives"): the same rules run in Lambda, in
 * the local runtime and in tests. A module under `functions/domain` that imports an AWS SDK, the
 * Lambda types, the Postgres driver or Powertools, directly or through a shared or adapter module,
 * fails here.
 */

const DOMAIN = fileURLToPath(new URL('../../functions/domain/', import.meta.url));
const FORBIDDEN = [/^@aws-sdk\//, /^aws-lambda$/, /^postgres$/, /^@aws-lambda-powertools\//];
const OUTSIDE_DOMAIN = /^(\.\.\/)+(shared|adapters|handlers)\//;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(path.join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [path.join(dir, entry.name)]
        : [],
  );
}

/** Every module a file imports or re-exports, type-only imports included. */
function specifiers(source: string): string[] {
  return [...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/g)].map(
    (m) => m[1]!,
  );
}

describe('functions/domain', () => {
  const files = sourceFiles(DOMAIN);

  it('has modules to check (control)', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(specifiers("import type { Sql } from 'postgres';\nexport { x } from '../shared/y.js';")).toEqual([
      'postgres',
      '../shared/y.js',
    ]);
  });

  it.each(files.map((file) => [path.relative(DOMAIN, file), file]))(
    '%s imports no AWS SDK, aws-lambda, postgres, Powertools or non-domain module',
    (_, file) => {
      const imports = specifiers(readFileSync(file, 'utf8'));
      const offending = imports.filter(
        (spec) => FORBIDDEN.some((pattern) => pattern.test(spec)) || OUTSIDE_DOMAIN.test(spec),
      );
      expect(offending).toEqual([]);
    },
  );
});
