import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'local-settings-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** `npm start` (node with the tsx loader, as runtime-process.ts starts it) with `env` added; its exit code and stderr. */
async function start(env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  try {
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, LOCAL_DATA_DIR: dataDir, ...env },
      timeout: 60_000,
    });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? '' };
  }
}

describe('npm start with settings it cannot use', () => {
  it('stops before starting anything, naming each bad variable and its value', async () => {
    const { code, stderr } = await start({ WORKER_CONCURRENCY: '0', SWEEP_INTERVAL_SECONDS: 'soon' });

    expect(code).toBe(1);
    expect(stderr).toContain('WORKER_CONCURRENCY must be a whole number from 1 up, got "0"');
    expect(stderr).toContain('SWEEP_INTERVAL_SECONDS must be a whole number from 1 to 2147483, got "soon"');
    expect(stderr).not.toContain('    at '); // a message, not a stack trace
    expect(existsSync(path.join(dataDir, 'pg'))).toBe(false);
    expect(existsSync(path.join(dataDir, 'runtime.json'))).toBe(false);
  });
});
