import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { OutboxMailer } from '../../../functions/adapters/mail/outbox-mailer.js';
import type { EmailMessage, Mailer } from '../../../functions/domain/notifications/mailer.js';
import { listOutbox } from '../../../local/outbox.js';
import { describeContract } from '../../support/contract-suite.js';
import { RecordingMailer } from '../../support/worker-fakes.js';

/**
 * The Mailer port, one set of cases run against the recording fake the worker tests read and
 * against the outbox mailer (the local runtime's adapter), read back by the local outbox reader.
 * SES has no local server, so `SesMailer` is not among them.
 *
 * Not a case: a second send of one message id. The port lets a mailer drop it, and the outbox
 * does; SES and the recording fake deliver both (which is what lets worker tests count sends).
 */

/** What a recipient sees of a message. */
type Delivered = Pick<EmailMessage, 'to' | 'subject' | 'text' | 'html'>;

interface Subject {
  readonly mailer: Mailer;
  /** The messages delivered so far, in any order. */
  delivered(): Promise<Delivered[]>;
  close(): Promise<void>;
}

async function recording(): Promise<Subject> {
  const fake = new RecordingMailer();
  return {
    mailer: fake,
    delivered: async () => fake.sent.map(({ to, subject, text, html }) => ({ to, subject, text, html })),
    close: async () => {},
  };
}

async function outbox(): Promise<Subject> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mailer-contract-'));
  return {
    mailer: new OutboxMailer({ dir, from: 'Data Export <exports@example.com>' }),
    delivered: async () =>
      (await listOutbox(dir)).map(({ to, subject, text, html }) => ({ to, subject, text, html })),
    close: () => fs.rm(dir, { recursive: true, force: true }),
  };
}

function message(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    to: 'zoe@example.com',
    subject: 'Your data export is ready — Zoë’s “users” export',
    text: 'Hello Zoë,\n\nyour export is ready:\nhttps://api.example.com/api/export/jobs/j1/download?token=a.b.c\n\nThe link works for 7 days.',
    html: '<p>Hello Zoë,</p>\n<p><a href="https://api.example.com/api/export/jobs/j1/download?token=a.b.c">Download</a></p>',
    messageId: 'j1:completed',
    ...overrides,
  };
}

const delivered = ({ to, subject, text, html }: EmailMessage): Delivered => ({ to, subject, text, html });
const bySubject = (messages: readonly Delivered[]) =>
  [...messages].sort((a, b) => (a.subject < b.subject ? -1 : 1));

describeContract<Subject>('Mailer', { recording: recording, outbox: outbox }, (s) => {
  afterEach(async () => {
    await s.close();
  });

  it('delivers a message with its recipient, subject, text and html as sent', async () => {
    const sent = message();

    await s.mailer.send(sent);

    expect(await s.delivered()).toEqual([delivered(sent)]);
  });

  it('delivers a message with a line too long for SMTP intact', async () => {
    const link = `https://api.example.com/api/export/jobs/j1/download?token=${'x'.repeat(1500)}`;
    const sent = message({ text: `Download:\n${link}`, html: `<a href="${link}">Download</a>` });

    await s.mailer.send(sent);

    expect(await s.delivered()).toEqual([delivered(sent)]);
  });

  it('delivers a long subject whole', async () => {
    const sent = message({ subject: `Export ${'«users» '.repeat(30)}ready` });

    await s.mailer.send(sent);

    expect((await s.delivered()).map((m) => m.subject)).toEqual([sent.subject]);
  });

  it('delivers each of several messages sent at once', async () => {
    const sent = ['completed', 'failed', 'cancelled'].map((outcome, i) =>
      message({
        messageId: `j${i}:${outcome}`,
        subject: `Export j${i} ${outcome}`,
        to: `user${i}@example.com`,
      }),
    );

    await Promise.all(sent.map((m) => s.mailer.send(m)));

    expect(bySubject(await s.delivered())).toEqual(bySubject(sent.map(delivered)));
  });
});
