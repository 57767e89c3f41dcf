import { config } from '../../platform/config.js';
import { once } from '../../platform/once.js';
import type { ApiSettings } from '../api-deps.js';
import { settingsOf } from '../api-deps.js';

const settings = once(() => settingsOf(config()));

/**
 * A setting of the API, from `config()`. Each Lambda builds the parts it uses (modules beside this
 * one) from `config()` on first use and keeps them for the execution environment's life; processes
 * that serve every route (the local runtime, tests) compose the handlers from their own
 * dependencies with each handler's `createHandler` instead.
 */
export function apiSetting<K extends keyof ApiSettings>(key: K): ApiSettings[K] {
  return settings()[key];
}

/** The clock every Lambda reads. */
export const systemClock = (): Date => new Date();
