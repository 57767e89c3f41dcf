import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../../lib/console-site.js';
import { consoleFiles } from '../../../local/console-files.js';

/** The local runtime's static server for the console, over real HTTP on a loopback port. */

let root: string;
let server: http.Server;
let base: string;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'console-files-'));
  root = path.join(dir, 'dist');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(path.join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(path.join(root, '.build-stamp'), 'hash');
  writeFileSync(path.join(dir, 'secret.txt'), 'outside the root');
  const site = consoleFiles(root);
  server = http.createServer((req, res) => {
    void site.serve(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(path.dirname(root), { recursive: true, force: true });
});

/** A raw request, so that `..` and encoded segments reach the server as written. */
function get(
  rawPath: string,
  method = 'GET',
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}/`, { method, path: rawPath }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

describe('console static files', () => {
  it('serves index.html with the security headers, and assets with their type and long caching', async () => {
    const index = await get('/console/');
    const script = await get('/console/assets/index-abc123.js');
    const style = await get('/console/assets/index-abc123.css');

    expect(index).toMatchObject({ status: 200, body: '<!doctype html><title>console</title>' });
    expect(index.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONSOLE_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cache-control': 'no-cache',
    });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers client-side routes with the app and redirects the bare prefix', async () => {
    const route = await get('/console/jobs/3f2c0a57-0000-4000-8000-000000000000?status=failed');
    const bare = await get('/console');

    expect(route.status).toBe(200);
    expect(route.body).toContain('<title>console</title>');
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toBe('/console/');
  });

  it('answers 404 for missing files, dot-files and every way out of its directory', async () => {
    for (const attempt of [
      '/console/assets/missing.js',
      '/console/.build-stamp',
      '/console/../secret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/assets/..%2f..%2fsecret.txt',
      '/console/..%5csecret.txt',
      '/console/%00index.html',
    ]) {
      const response = await get(attempt);

      expect(response.status, attempt).toBe(404);
      expect(response.body, attempt).not.toContain('outside the root');
    }
  });

  it('refuses methods other than GET and HEAD, and sends no body for HEAD', async () => {
    const post = await get('/console/', 'POST');
    const head = await get('/console/assets/index-abc123.js', 'HEAD');

    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
    expect(head.headers['content-length']).toBe(String('console.log(1)'.length));
  });
});
