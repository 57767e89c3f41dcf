import { fileURLToPath } from 'node:url';

/**
 * Facts about the web console (docs/console.md) that the build, the local runtime and the CDK stack all
 * read: where it is served, where its build lands, and the security headers it is served with.
 */

/** Path the console is served under, next to the API (`/api/export`) on the same origin. */
export const CONSOLE_BASE_PATH = '/console/';

/** The console's sources (Vite root). */
export const CONSOLE_SOURCE_DIR = fileURLToPath(new URL('../console/', import.meta.url));

/** Its built static files: what the local runtime serves and the stack uploads. */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../console/dist/', import.meta.url));

/**
 * Content Security Policy of the console: its own scripts, styles and API only. Downloads are
 * navigations to presigned S3 URLs, which `connect-src` does not govern.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every console response carries (CloudFront adds HSTS on top, HTTPS being its only scheme). */
export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'Content-Security-Policy': CONSOLE_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
});
