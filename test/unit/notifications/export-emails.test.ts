import { describe, expect, it } from 'vitest';
import { FAILURE_REASONS } from '../../../functions/domain/jobs/failure-reasons.js';
import {
  completedExportEmail,
  escapeHtml,
  failedExportEmail,
  formatBytes,
} from '../../../functions/domain/notifications/export-emails.js';
import { chunkedJobFixture } from '../../support/chunked-job.js';
import { jobFixture } from '../../support/worker-fakes.js';

const result = {
  objectKey: 'exports/j/users.csv',
  bucket: 'b',
  fileName: 'users_2024-05-01.csv',
  contentType: 'text/csv',
  bytes: 1_234_567,
  sha256: 'a'.repeat(64),
  rows: 1500,
  tables: [{ name: 'users', rows: 1500 }],
  exportedAt: '2024-05-01T10:00:00.000Z',
};

describe('export emails', () => {
  it('formats sizes in decimal units', () => {
    expect([0, 999, 1000, 1_234_567, 25_000_000, 3.2e9].map(formatBytes)).toEqual([
      '0 B',
      '999 B',
      '1.0 kB',
      '1.2 MB',
      '25 MB',
      '3.2 GB',
    ]);
  });

  it('says what was exported, its size, the link and when it expires', () => {
    const email = completedExportEmail({
      job: jobFixture({ tables: ['users'] }),
      result,
      downloadUrl: 'https://api.example.com/api/export/jobs/j/download?token=abc.def',
      expiresAt: new Date('2024-05-08T10:00:00Z'),
    });

    expect(email.subject).toBe('Export ready: users');
    for (const body of [email.text, email.html]) {
      expect(body).toContain('the table users as CSV');
      expect(body).toContain('1.2 MB');
      expect(body).toContain('1,500 rows');
      expect(body).toContain('2024-05-08 10:00 UTC');
    }
    expect(email.text).toContain('https://api.example.com/api/export/jobs/j/download?token=abc.def');
    expect(email.html).toContain('href="https://api.example.com/api/export/jobs/j/download?token=abc.def"');
  });

  it('links the manifest of a chunked export, says how many files, and links each file', () => {
    const { result } = chunkedJobFixture('j', [
      { name: 'users/part-00001.csv', table: 'users', body: 'id\n1\n2\n' },
      { name: 'users/part-00002.csv', table: 'users', body: 'id\n3\n' },
      { name: 'courses/part-00001.csv', table: 'courses', body: 'id\n7\n' },
    ]);
    const link = 'https://api.example.com/api/export/jobs/j/download?token=abc.def';

    const email = completedExportEmail({
      job: jobFixture({ tables: ['users', 'courses'] }),
      result,
      downloadUrl: link,
      expiresAt: new Date('2024-05-08T10:00:00Z'),
    });

    expect(email.subject).toBe('Export ready: users, courses');
    for (const body of [email.text, email.html]) {
      expect(body).toContain('3 files, 17 B in total');
      expect(body).toContain('users: 3 rows in 2 files');
      expect(body).toContain('courses: 1 row in 1 file');
      expect(body).toContain('2024-05-08 10:00 UTC');
    }
    expect(email.text).toContain(`${link}&file=manifest.json`);
    expect(email.text).toContain(`users/part-00002.csv (5 B): ${link}&file=users%2Fpart-00002.csv`);
    expect(email.html).toContain(`href="${link}&amp;file=manifest.json"`);
    expect(email.html.match(/<li><a href=/g)).toHaveLength(3);
  });

  it('links at most 20 files of a large chunked export and points to the manifest for the rest', () => {
    const parts = Array.from({ length: 25 }, (_, i) => ({
      name: `activity_logs/part-${String(i + 1).padStart(5, '0')}.csv`,
      table: 'activity_logs',
      body: 'id\n1\n',
    }));

    const email = completedExportEmail({
      job: jobFixture({ tables: ['activity_logs'] }),
      result: chunkedJobFixture('j', parts).result,
      downloadUrl: 'https://api.example.com/api/export/jobs/j/download?token=t',
      expiresAt: new Date(),
    });

    expect(email.text).toContain('25 files');
    expect(email.text).toContain('part-00020.csv');
    expect(email.text).not.toContain('part-00021.csv');
    expect(email.text).toContain('…and 5 more files, listed in the manifest');
    expect(email.html.match(/<li><a href=/g)).toHaveLength(20);
  });

  it('escapes everything it puts into HTML', () => {
    const email = completedExportEmail({
      job: jobFixture(),
      result: { ...result, fileName: '<script>alert("x")</script>.csv' },
      downloadUrl: 'https://x.example/?a=1&b="2"',
      expiresAt: new Date(),
    });

    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;.csv');
    expect(email.html).toContain('href="https://x.example/?a=1&amp;b=&quot;2&quot;"');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('explains a failure by its code without the internal error message', () => {
    const email = failedExportEmail({
      job: jobFixture({ kind: 'user' }),
      error: {
        code: 'source_unavailable',
        message: 'relation "secret_table" does not exist',
        retryable: false,
      },
    });

    expect(email.subject).toBe('Your data export failed');
    expect(email.text).toContain(FAILURE_REASONS.source_unavailable);
    expect(email.text).toContain('Error code: source_unavailable');
    expect(email.text).not.toContain('secret_table');
    expect(email.html).not.toContain('secret_table');
  });
});
