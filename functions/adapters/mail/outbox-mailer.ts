import { randomUUID } from 'node:crypto';
import { link, mkdir, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EmailMessage, Mailer } from '../../domain/notifications/mailer.js';

export interface OutboxMailerProps {
  /** Folder the `.eml` files are written to (`OUTBOX_DIR`); created when missing. */
  readonly dir: string;
  /** `From:` header, e.g. `Data Export <exports@example.com>`. */
  readonly from: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

/** File name of a message: its id with every character outside `[A-Za-z0-9._-]` replaced by `_`. */
export function outboxFileName(messageId: string): string {
  return `${messageId.replace(/[^A-Za-z0-9._-]/g, '_')}.eml`;
}

/**
 * The Mailer port as a folder of RFC 5322 `.eml` files (the local runtime's outbox, docs/configuration.md):
 * one `multipart/alternative` message (UTF-8 text and HTML) per message id, named
 * {@link outboxFileName}. A second send of the same message id is dropped. Each file appears
 * complete or not at all: it is written under a temporary name and then hard-linked to its final
 * name, which fails (instead of overwriting) if the file already exists.
 */
export class OutboxMailer implements Mailer {
  constructor(private readonly props: OutboxMailerProps) {}

  async send(message: EmailMessage): Promise<void> {
    const name = outboxFileName(message.messageId);
    const target = path.join(this.props.dir, name);
    const temporary = path.join(this.props.dir, `.${name}.${randomUUID()}.tmp`);
    await mkdir(this.props.dir, { recursive: true, mode: 0o700 });
    // Owner-only: an email carries a download link whose token works for days.
    await writeFile(
      temporary,
      renderEml(message, this.props.from, (this.props.now ?? (() => new Date()))()),
      {
        mode: 0o600,
      },
    );
    try {
      await link(temporary, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temporary);
    }
  }
}

const CRLF = '\r\n';

/** Renders a message as RFC 5322 / MIME text with CRLF line ends. */
export function renderEml(message: EmailMessage, from: string, date: Date): string {
  const boundary = `=_export_${randomUUID()}`;
  const id = message.messageId.replace(/[^A-Za-z0-9._-]/g, '_');
  const headers = [
    `From: ${headerValue(from)}`,
    `To: ${headerValue(message.to)}`,
    `Subject: ${encodeWord(headerValue(message.subject))}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${id}@data-export.local>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
  ];
  return [
    ...headers,
    '',
    'This is a multi-part message in MIME format.',
    `--${boundary}`,
    ...part('text/plain', message.text),
    `--${boundary}`,
    ...part('text/html', message.html),
    `--${boundary}--`,
    '',
  ].join(CRLF);
}

/** One body part: 8bit UTF-8 (readable, greppable) unless a line is too long for SMTP, then base64. */
function part(type: string, body: string): string[] {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const fits = lines.every((line) => Buffer.byteLength(line) <= 998);
  const content = fits
    ? lines.join(CRLF)
    : (
        Buffer.from(body)
          .toString('base64')
          .match(/.{1,76}/g) ?? []
      ).join(CRLF);
  return [
    `Content-Type: ${type}; charset=utf-8`,
    `Content-Transfer-Encoding: ${fits ? '8bit' : 'base64'}`,
    '',
    content,
  ];
}

/** Header values never carry line breaks (header injection). */
function headerValue(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/** RFC 2047 encoded-words (each at most 75 characters, folded) for non-ASCII or long header text. */
function encodeWord(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text) && text.length <= 900) return text;
  const words: string[] = [];
  let chunk = '';
  for (const char of text) {
    // 45 bytes of UTF-8 encode to 60 base64 characters: with `=?UTF-8?B?` and `?=`, 72 in all.
    if (Buffer.byteLength(chunk + char) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += char;
  }
  if (chunk) words.push(chunk);
  return words.map((word) => `=?UTF-8?B?${Buffer.from(word).toString('base64')}?=`).join(`${CRLF} `);
}
