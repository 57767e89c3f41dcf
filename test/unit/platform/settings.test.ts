import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../functions/platform/config.js';
import { SETTINGS, visibilityTimeoutFor } from '../../../functions/platform/settings.js';
import { settingsTable } from '../../../functions/platform/settings-table.js';

const BASE = { DATABASE_URL: 'postgres://x@localhost/db', JWT_SECRET: 's', EXPORT_BUCKET: 'bucket' };
const configuration = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');

describe('the runtime settings, declared once', () => {
  it('are listed in docs/configuration.md exactly as declared', () => {
    expect(configuration).toContain(settingsTable());
  });

  it.each(Object.entries(SETTINGS))(
    '%s defaults to its declared value in every function',
    (name, setting) => {
      expect(loadConfig(BASE)[name as keyof typeof SETTINGS]).toBe(setting.default);
    },
  );

  it.each(Object.entries(SETTINGS))(
    '%s refuses a value outside its declared range, naming it',
    (name, setting) => {
      expect(() => loadConfig({ ...BASE, [name]: String(setting.max + 1) })).toThrow(name);
      expect(() => loadConfig({ ...BASE, [name]: String(setting.min - 1) })).toThrow(name);
      expect(loadConfig({ ...BASE, [name]: String(setting.max) })[name as keyof typeof SETTINGS]).toBe(
        setting.max,
      );
    },
  );

  it('keeps each default within its own range', () => {
    for (const setting of Object.values(SETTINGS)) {
      expect(setting.default).toBeGreaterThanOrEqual(setting.min);
      expect(setting.default).toBeLessThanOrEqual(setting.max);
    }
  });

  it('derives the visibility timeout from the worker timeout, within SQS’s 12 hours', () => {
    expect(visibilityTimeoutFor(900)).toBe(5400);
    expect(visibilityTimeoutFor(3)).toBe(18);
    expect(visibilityTimeoutFor(10_000)).toBe(43_200);
    expect(SETTINGS.QUEUE_VISIBILITY_TIMEOUT_SECONDS.default).toBe(visibilityTimeoutFor(900));
  });
});
