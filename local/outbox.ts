import { type FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** An email of the outbox, as far as the local runtime and the e2e tests read it. */
export interface OutboxEmail {
  readonly file: string;
  readonly to: string;
  readonly subject: string;
  /** The text/plain body, decoded. */
  readonly text: string;
  /** The text/html body, decoded; empty when the message has none. */
  readonly html: string;
  /** The emailed download links (`…/jobs/{jobId}/download?token=…`). */
  readonly downloadLinks: readonly string[];
}

function decodeWords(value: string): string {
  return value.replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=\s*/gi, (_, b64: string) =>
    Buffer.from(b64, 'base64').toString('utf8'),
  );
}

function splitHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  // Unfold continuation lines, then split "Name: value".
  for (const line of block.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

function decodeBody(headers: Map<string, string>, body: string): string {
  const encoding = (headers.get('content-transfer-encoding') ?? '8bit').toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return body.replace(/\r\n/g, '\n');
}

/**
 * Reads the `.eml` files the outbox mailer writes (RFC 5322, `multipart/alternative` with
 * text/plain and text/html parts): recipient, subject, both bodies and the download links.
 */
export function parseEml(file: string, raw: string): OutboxEmail {
  const split = raw.indexOf('\r\n\r\n');
  const headers = splitHeaders(split < 0 ? raw : raw.slice(0, split));
  const rest = split < 0 ? '' : raw.slice(split + 4);
  const bodies = new Map<string, string>();
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  if (boundary) {
    for (const part of rest.split(`--${boundary}`)) {
      const partSplit = part.indexOf('\r\n\r\n');
      if (partSplit < 0) continue;
      const partHeaders = splitHeaders(part.slice(0, partSplit).replace(/^\r\n/, ''));
      const type = (partHeaders.get('content-type') ?? '').toLowerCase().split(';')[0]!.trim();
      if (!bodies.has(type))
        bodies.set(type, decodeBody(partHeaders, part.slice(partSplit + 4).replace(/\r\n$/, '')));
    }
  } else {
    bodies.set('text/plain', decodeBody(headers, rest));
  }
  const text = bodies.get('text/plain') ?? '';
  return {
    file,
    to: headers.get('to') ?? '',
    subject: decodeWords(headers.get('subject') ?? ''),
    text,
    html: bodies.get('text/html') ?? '',
    downloadLinks: text.match(/https?:\/\/\S+\/download\?token=[A-Za-z0-9._~%-]+/g) ?? [],
  };
}

/** Reads and parses one outbox file. */
export async function readOutboxEmail(file: string): Promise<OutboxEmail> {
  return parseEml(file, await readFile(file, 'utf8'));
}

/** Every email in the outbox, oldest name first. */
export async function listOutbox(dir: string): Promise<OutboxEmail[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter(isEmail).sort();
  return Promise.all(names.map((name) => readOutboxEmail(path.join(dir, name))));
}

function isEmail(name: string): boolean {
  // The mailer writes `.name.uuid.tmp` first and links the finished file to `name.eml`.
  return name.endsWith('.eml') && !name.startsWith('.');
}

export interface OutboxWatcher {
  close(): void;
}

/**
 * Calls `onEmail` for each email that appears in `dir` from now on (files present at start are
 * skipped). Uses fs.watch for promptness and a periodic scan for file systems where it is not
 * reliable.
 */
export async function watchOutbox(
  dir: string,
  onEmail: (email: OutboxEmail) => void,
  options: { intervalMs?: number; logError?: (message: string, error: unknown) => void } = {},
): Promise<OutboxWatcher> {
  const logError = options.logError ?? ((message, error) => console.error(message, error));
  await mkdir(dir, { recursive: true });
  const seen = new Set((await readdir(dir)).filter(isEmail));
  let scanning: Promise<void> = Promise.resolve();
  let closed = false;
  const scan = () => {
    scanning = scanning.then(async () => {
      if (closed) return;
      const names = (await readdir(dir).catch(() => [] as string[])).filter(
        (name) => isEmail(name) && !seen.has(name),
      );
      for (const name of names.sort()) {
        seen.add(name);
        try {
          onEmail(await readOutboxEmail(path.join(dir, name)));
        } catch (error) {
          logError(`outbox: could not read ${name}`, error);
        }
      }
    });
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dir, () => scan());
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  const interval = setInterval(scan, options.intervalMs ?? 2000);
  interval.unref();
  return {
    close() {
      closed = true;
      watcher?.close();
      clearInterval(interval);
    },
  };
}
