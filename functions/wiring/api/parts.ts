import { config } from '../../platform/config.js';
import { once } from '../../platform/once.js';
import type { ApiDeps, ApiSettings } from '../api-deps.js';
import { settingsOf } from '../api-deps.js';

let provided: ApiDeps | undefined;

/** Makes every handler of this process use `deps` (the local runtime, tests); `undefined` undoes it. */
export function setApiDeps(deps: ApiDeps | undefined): void {
  provided = deps;
}

/**
 * One dependency of a Lambda, built from `config()` on first use and kept for the execution
 * environment's life, unless the process provided its own (`setApiDeps`). The parts live in small
 * modules (database, queue, stores, tokens), so a handler's bundle holds only the clients and
 * adapters of the parts it names.
 */
export function part<K extends keyof ApiDeps>(key: K, build: () => ApiDeps[K]): () => ApiDeps[K] {
  const built = once(build);
  return () => (provided ? provided[key] : built());
}

const settings = once(() => settingsOf(config()));

/** A setting of the API, from `config()` or the provided dependencies. */
export function apiSetting<K extends keyof ApiSettings>(key: K): ApiSettings[K] {
  return provided ? provided[key] : settings()[key];
}

const systemClock = () => new Date();

/** The clock (a test's own when it provided one). */
export const apiClock = part('now', () => systemClock);
