import { describe, expect, it } from 'vitest';
import { renderEml } from '../../../functions/adapters/mail/outbox-mailer.js';
import { parseEml } from '../../../local/outbox.js';

describe("the local outbox's reader", () => {
  it('reads back both bodies of an email the outbox mailer rendered, and its download links', () => {
    const raw = renderEml(
      {
        to: 'user@example.com',
        subject: 'Your export is ready — Zoë',
        text: 'Hello,\nhttps://x.example/api/export/jobs/j/download?token=a.b.c',
        html: '<p>Hello <a href="https://x.example/api/export/jobs/j/download?token=a.b.c">link</a></p>',
        messageId: 'j:completed',
      },
      'Data Export <exports@example.com>',
      new Date('2024-05-01T10:00:00Z'),
    );

    const email = parseEml('j_completed.eml', raw);

    expect(email).toEqual({
      file: 'j_completed.eml',
      to: 'user@example.com',
      subject: 'Your export is ready — Zoë',
      text: 'Hello,\nhttps://x.example/api/export/jobs/j/download?token=a.b.c',
      html: '<p>Hello <a href="https://x.example/api/export/jobs/j/download?token=a.b.c">link</a></p>',
      downloadLinks: ['https://x.example/api/export/jobs/j/download?token=a.b.c'],
    });
  });
});
