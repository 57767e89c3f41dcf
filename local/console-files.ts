import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { CONSOLE_BASE_PATH, CONSOLE_SECURITY_HEADERS } from '../lib/console-site.js';

/** The static files of a built single-page app, served by the local gateway under `prefix`. */
export interface StaticSite {
  /** Path prefix with both slashes, e.g. `/console/`. */
  readonly prefix: string;
  /** Answers one request under the prefix (or the prefix without its slash); resolves to the status sent. */
  serve(req: IncomingMessage, res: ServerResponse): Promise<number>;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

function plain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): number {
  res.writeHead(status, {
    ...CONSOLE_SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
  return status;
}

async function isFile(file: string): Promise<number | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The console's built files (`console/dist`), as CloudFront serves them in AWS: GET and HEAD only,
 * the console's security headers, long caching for content-hashed `assets/`, and `index.html` for
 * any path without a file extension (the app routes on the client). A path is decoded once, then
 * each segment is checked and the result must stay inside `root`: `..` (also percent-encoded),
 * backslashes, NUL and dot-files are refused.
 */
export function consoleFiles(root: string, prefix = CONSOLE_BASE_PATH): StaticSite {
  const base = path.resolve(root);
  const send = async (
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    size: number,
    cache: string,
  ) => {
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, {
      ...CONSOLE_SECURITY_HEADERS,
      'Content-Type': type,
      'Content-Length': String(size),
      'Cache-Control': cache,
    });
    if (req.method === 'HEAD') {
      res.end();
      return 200;
    }
    await new Promise<void>((resolve, reject) => {
      createReadStream(file).on('error', reject).pipe(res).on('finish', resolve).on('error', reject);
    });
    return 200;
  };

  return {
    prefix,
    async serve(req, res) {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return plain(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
      const rawPath = (req.url ?? '/').split('?')[0] ?? '/';
      if (rawPath === prefix.slice(0, -1)) return plain(res, 301, 'Moved', { Location: prefix });
      let relative: string;
      try {
        relative = decodeURIComponent(rawPath.slice(prefix.length));
      } catch {
        return plain(res, 400, 'Bad Request');
      }
      const segments = relative.split('/').filter((segment) => segment !== '');
      if (
        relative.includes('\0') ||
        relative.includes('\\') ||
        segments.some((segment) => segment === '..' || segment.startsWith('.'))
      ) {
        return plain(res, 404, 'Not Found');
      }
      const file = path.resolve(base, ...segments);
      if (file !== base && !file.startsWith(`${base}${path.sep}`)) return plain(res, 404, 'Not Found');
      const size = segments.length > 0 ? await isFile(file) : undefined;
      if (size !== undefined) {
        const immutable = segments[0] === 'assets';
        return send(req, res, file, size, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      }
      // A client-side route (no extension) gets the app; a missing asset is a real 404.
      if (path.extname(segments.at(-1) ?? '') !== '') return plain(res, 404, 'Not Found');
      const index = path.join(base, 'index.html');
      const indexSize = await isFile(index);
      if (indexSize === undefined)
        return plain(res, 503, 'The console is not built: run `npm run console:build` (npm start does it).');
      return send(req, res, index, indexSize, 'no-cache');
    },
  };
}
