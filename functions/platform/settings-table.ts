import { type IntSetting, SETTINGS } from './settings.js';

const READERS: Readonly<Record<IntSetting['readers'][number], string>> = {
  api: 'API',
  worker: 'worker',
  sweeper: 'sweeper',
  webhooks: 'webhook delivery',
};

const number = (value: number) => value.toLocaleString('en-US');

/**
 * The settings as the Markdown table of `docs/configuration.md` shows them, one row per setting in
 * declaration order: what the docs must say, so a test compares the two.
 */
export function settingsTable(): string {
  const rows = Object.entries(SETTINGS).map(
    ([name, s]) =>
      `| \`${name}\` | ${number(s.default)}${s.note ? ` (${s.note})` : ''} | ${number(s.min)}–${number(s.max)} | ${s.readers.map((r) => READERS[r]).join(', ')} | ${s.description} |`,
  );
  return ['| variable | default | range | read by | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
