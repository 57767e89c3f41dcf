import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxMailer, outboxFileName } from '../../../functions/adapters/mail/outbox-mailer.js';
import type { EmailMessage } from '../../../functions/domain/notifications/mailer.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'outbox-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const message: EmailMessage = {
  to: 'user@example.com',
  subject: 'Your data export is ready — Zoë',
  text: 'Hello,\n\nDownload: https://x.example/download?token=a.b.c\n',
  html: '<p>Hello <a href="https://x.example/download?token=a.b.c">link</a></p>\n',
  messageId: '7d444840-9dc0-11d1-b245-5ffdce74fad2:completed',
};

describe('OutboxMailer', () => {
  it('writes each email readable by its owner only, since its link token works for days', async () => {
    const mailer = new OutboxMailer({ dir, from: 'Data Export <exports@example.com>' });

    await mailer.send(message);

    const stat = await fs.stat(path.join(dir, outboxFileName(message.messageId)));
    expect(stat.mode & 0o777).toBe(0o600);
  });

  it('writes one multipart/alternative .eml per message id, named after it', async () => {
    const mailer = new OutboxMailer({
      dir,
      from: 'Data Export <exports@example.com>',
      now: () => new Date('2024-05-01T10:00:00Z'),
    });

    await mailer.send(message);

    expect(await fs.readdir(dir)).toEqual(['7d444840-9dc0-11d1-b245-5ffdce74fad2_completed.eml']);
    const eml = await fs.readFile(path.join(dir, outboxFileName(message.messageId)), 'utf8');
    const [head = '', ...rest] = eml.split('\r\n\r\n');
    expect(head).toContain('From: Data Export <exports@example.com>\r\nTo: user@example.com\r\n');
    expect(head).toContain('Date: Wed, 01 May 2024 10:00:00 +0000');
    expect(head).toMatch(/Subject: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=/);
    const subject = [...head.matchAll(/=\?UTF-8\?B\?([^?]+)\?=/g)]
      .map((m) => Buffer.from(m[1]!, 'base64').toString())
      .join('');
    expect(subject).toBe(message.subject);
    const boundary = /boundary="([^"]+)"/.exec(head)?.[1];
    expect(boundary).toBeDefined();
    const body = rest.join('\r\n\r\n');
    expect(body).toContain(`--${boundary}\r\nContent-Type: text/plain; charset=utf-8`);
    expect(body).toContain(`--${boundary}\r\nContent-Type: text/html; charset=utf-8`);
    expect(body).toContain('Download: https://x.example/download?token=a.b.c\r\n');
    expect(body.trimEnd().endsWith(`--${boundary}--`)).toBe(true);
    expect(eml.replace(/\r\n/g, '').includes('\n')).toBe(false);
  });

  it('drops a second send of the same message id, also when both race', async () => {
    const mailer = new OutboxMailer({ dir, from: 'x@example.com' });

    await Promise.all([
      mailer.send(message),
      mailer.send({ ...message, text: 'other' }),
      mailer.send(message),
    ]);

    expect(await fs.readdir(dir)).toHaveLength(1);
  });

  it('never lets a header value break into a new header', async () => {
    const mailer = new OutboxMailer({ dir, from: 'x@example.com' });

    await mailer.send({ ...message, to: 'a@example.com\r\nBcc: evil@example.com' });

    const eml = await fs.readFile(path.join(dir, outboxFileName(message.messageId)), 'utf8');
    expect(eml).not.toMatch(/^Bcc:/m);
  });
});
