import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '../../../local/embedded-postgres.js';

/**
 * TLS as the functions use it in AWS (`lambda-sql.ts`: verify-full, the CA from
 * `NODE_EXTRA_CA_CERTS`), against a real Postgres serving a certificate of its own test CA for
 * `localhost`. The probe runs in a child process so each case starts with its own trust store.
 */

const PROBE = fileURLToPath(new URL('../../support/tls-probe.ts', import.meta.url));
let dir: string;
/** Serves a certificate of the test CA for `localhost`. */
let good: EmbeddedPostgresServer;
/** Serves a certificate of the test CA for another host name. */
let misnamed: EmbeddedPostgresServer;

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A server key and certificate signed by the test CA for `dnsName`, readable by the server only. */
function serverCertificate(name: string, dnsName: string): { cert: string; key: string } {
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${dnsName}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  );
  fs.writeFileSync(path.join(dir, `${name}.ext`), `subjectAltName=DNS:${dnsName}\n`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  );
  const files = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  fs.chmodSync(files.key, 0o600);
  if (process.getuid?.() === 0) {
    // As root, the embedded server runs as the `postgres` user, which must own its key.
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { stdio: 'pipe' }).toString().trim());
    for (const file of Object.values(files)) fs.chownSync(file, uid, 0);
  }
  return files;
}

const withTls = (dataDir: string, files: { cert: string; key: string }) =>
  startEmbeddedPostgres({
    dataDir: path.join(dir, dataDir),
    postgresFlags: ['-c', 'ssl=on', '-c', `ssl_cert_file=${files.cert}`, '-c', `ssl_key_file=${files.key}`],
  });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'export-tls-'));
  fs.chmodSync(dir, 0o755);
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=Export Test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  [good, misnamed] = await Promise.all([
    withTls('good', serverCertificate('localhost', 'localhost')),
    withTls('misnamed', serverCertificate('other', 'db.other-host.invalid')),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([good?.stop(), misnamed?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

function probe(server: EmbeddedPostgresServer, trustTestCa: boolean): string {
  const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
  return execFileSync(
    process.execPath,
    ['--import', 'tsx', PROBE, 'localhost', String(server.port), 'export_service', 'postgres', 'postgres'],
    {
      env: { ...env, ...(trustTestCa && { NODE_EXTRA_CA_CERTS: path.join(dir, 'ca.pem') }) },
      stdio: 'pipe',
      timeout: 30_000,
    },
  )
    .toString()
    .trim();
}

describe('database TLS in AWS mode', () => {
  it('connects when the server certificate chains to a trusted CA and names the host', () => {
    expect(probe(good, true)).toBe('ok');
  });

  it('refuses a server whose certificate no trusted CA signed (sslmode=require would accept it)', () => {
    expect(probe(good, false)).toMatch(/^error .*(self[- ]signed|unable to (get|verify))/i);
  });

  it('refuses a certificate issued for another host name', () => {
    expect(probe(misnamed, true)).toMatch(/^error .*(ERR_TLS_CERT_ALTNAME_INVALID|altname|does not match)/i);
  });
});
