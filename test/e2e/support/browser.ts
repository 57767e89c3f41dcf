import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Whether the browser tests may be skipped when Chromium is missing. CI sets
 * `CONSOLE_BROWSER_REQUIRED=1` (and `CI=true`): there a missing browser fails the run instead.
 */
export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const message = `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` to run the console's browser tests`;
  if (process.env.CONSOLE_BROWSER_REQUIRED === '1' || process.env.CI === 'true') throw new Error(message);
  return message;
}

/**
 * A headless Chromium, quiet on the network (no updates, sync or QUIC). Playwright gives each
 * launch a fresh temporary profile of its own (it refuses a `--user-data-dir` argument).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A browser context at a desktop or phone viewport, accepting downloads. */
export function newContext(browser: Browser, viewport: 'desktop' | 'phone'): Promise<BrowserContext> {
  return browser.newContext({
    acceptDownloads: true,
    ...(viewport === 'desktop'
      ? { viewport: { width: 1280, height: 800 } }
      : { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }),
  });
}
