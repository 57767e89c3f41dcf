import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../local/local-secrets.js';
import { InvalidSettingsError, LocalConfigSchema, loadLocalConfig } from '../../../local/runtime-config.js';

/** The variables named in the first column of the settings table of docs/local-runtime.md. */
function documentedVariables(): string[] {
  const page = readFileSync(path.join(PROJECT_ROOT, 'docs', 'local-runtime.md'), 'utf8');
  const section = page.slice(page.indexOf('## Settings'), page.indexOf('## Differences from AWS'));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([A-Z0-9_]+)`/g)].map((match) => match[1]!));
}

describe('the local runtime settings', () => {
  it('are documented in docs/local-runtime.md, every one and no other', () => {
    const documented = documentedVariables();

    expect(documented.length).toBeGreaterThan(20);
    expect([...documented].sort()).toEqual(Object.keys(LocalConfigSchema.in.shape).sort());
  });

  it('default to the documented values when unset or empty', () => {
    const config = loadLocalConfig({ PORT: '', WORKER_CONCURRENCY: '' });

    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '127.0.0.1',
      LOCAL_DATA_DIR: path.join(PROJECT_ROOT, '.local'),
      OUTBOX_DIR: path.join(PROJECT_ROOT, '.local', 'outbox'),
      EXPORT_BUCKET: 'data-exports',
      WORKER_TIMEOUT_SECONDS: 900,
      QUEUE_VISIBILITY_TIMEOUT_SECONDS: 5400,
      MAX_RECEIVE_COUNT: 5,
      WORKER_CONCURRENCY: 2,
      WORKER_BATCH_SIZE: 1,
      API_THROTTLE_RATE: 10,
      API_THROTTLE_BURST: 20,
      API_QUOTA_PER_DAY: 5000,
      API_MAX_BODY_BYTES: 10 * 1024 * 1024,
      SCHEDULER: 'on',
      SWEEP_INTERVAL_SECONDS: 300,
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.LOCAL_PG_PORT).toBeUndefined();
  });

  it('derive the visibility timeout from the worker timeout, as the stack does, unless it is given', () => {
    expect(loadLocalConfig({ WORKER_TIMEOUT_SECONDS: '30' }).QUEUE_VISIBILITY_TIMEOUT_SECONDS).toBe(180);
    expect(
      loadLocalConfig({ WORKER_TIMEOUT_SECONDS: '30', QUEUE_VISIBILITY_TIMEOUT_SECONDS: '5' })
        .QUEUE_VISIBILITY_TIMEOUT_SECONDS,
    ).toBe(5);
  });

  it('place the outbox in the data directory unless it is given', () => {
    const config = loadLocalConfig({ LOCAL_DATA_DIR: '/tmp/somewhere' });

    expect(config.LOCAL_DATA_DIR).toBe('/tmp/somewhere');
    expect(config.OUTBOX_DIR).toBe('/tmp/somewhere/outbox');
  });

  it.each([
    ['WORKER_CONCURRENCY', '0', 'must be a whole number from 1 up'],
    ['WORKER_TIMEOUT_SECONDS', '0', 'must be a whole number from 1 to 900'],
    ['WORKER_TIMEOUT_SECONDS', '901', 'must be a whole number from 1 to 900'],
    ['QUEUE_VISIBILITY_TIMEOUT_SECONDS', '0', 'must be a whole number from 1 to 43200'],
    ['SWEEP_INTERVAL_SECONDS', '0', 'must be a whole number from 1'],
    ['MAX_RECEIVE_COUNT', '0', 'must be a whole number from 1 to 1000'],
    ['WORKER_BATCH_SIZE', '11', 'must be a whole number from 1 to 10'],
    ['API_THROTTLE_BURST', '0', 'must be a whole number from 1 up'],
    ['API_MAX_BODY_BYTES', String(10 * 1024 * 1024 + 1), 'must be a whole number from 1 to 10485760'],
    ['PORT', '65536', 'must be a whole number from 0 to 65535'],
    ['PORT', 'http', 'must be a whole number from 0 to 65535'],
    ['WORKER_CONCURRENCY', '1.5', 'must be a whole number from 1 up'],
    ['SCHEDULER', 'sometimes', 'must be on or off'],
    ['POWERTOOLS_LOG_LEVEL', 'LOUD', 'must be a Powertools log level'],
    ['DATABASE_URL', 'not a url', 'must be a URL'],
  ])('refuse %s=%s, naming the variable and its value', (name, value, problem) => {
    expect(() => loadLocalConfig({ [name]: value })).toThrow(InvalidSettingsError);
    expect(() => loadLocalConfig({ [name]: value })).toThrow(`${name} ${problem}`);
    expect(() => loadLocalConfig({ [name]: value })).toThrow(`got "${value}"`);
  });

  it('name every invalid variable at once', () => {
    expect(() => loadLocalConfig({ WORKER_CONCURRENCY: '0', SCHEDULER: 'maybe' })).toThrow(
      /WORKER_CONCURRENCY .*; SCHEDULER /,
    );
  });

  it('take 0 for a port as "a free one"', () => {
    const config = loadLocalConfig({ PORT: '0', LOCAL_PG_PORT: '0', LOCAL_AWS_PORT: '5433' });

    expect(config.PORT).toBe(0);
    expect(config.LOCAL_PG_PORT).toBeUndefined();
    expect(config.LOCAL_AWS_PORT).toBe(5433);
  });

  it('read log levels in any case, as Powertools does', () => {
    expect(loadLocalConfig({ POWERTOOLS_LOG_LEVEL: 'info' }).POWERTOOLS_LOG_LEVEL).toBe('INFO');
  });
});
