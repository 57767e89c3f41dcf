import { MANIFEST_FILE } from '../downloads/job-files.js';
import type { ExportJob, JobError, JobFile, JobResult } from '../jobs/export-job.js';
import { jobFailure } from '../jobs/failure-reasons.js';

/** Subject and bodies of one email; the caller adds recipient and message id. */
export interface EmailContent {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** The parts of a job an email describes. */
export type EmailJob = Pick<
  ExportJob,
  'id' | 'kind' | 'tables' | 'format' | 'compression' | 'scheduleName' | 'scheduledFor'
>;

export interface CompletedEmailInput {
  readonly job: EmailJob;
  readonly result: JobResult;
  /** The signed download link (`/api/export/jobs/{id}/download?token=…`). */
  readonly downloadUrl: string;
  readonly expiresAt: Date;
}

export interface FailedEmailInput {
  readonly job: EmailJob;
  readonly error: JobError;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** `1234567` → `1.2 MB` (decimal units, as file managers on most systems show them). */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 'B';
  for (const next of units) {
    if (value < 1000) break;
    value /= 1000;
    unit = next;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

/** `2024-05-08 14:03 UTC`: unambiguous whatever the reader's locale. */
export function formatUtc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const FORMAT_NAMES: Readonly<Record<string, string>> = {
  csv: 'CSV',
  json: 'JSON',
  ndjson: 'NDJSON',
  parquet: 'Parquet',
  xml: 'XML',
};

/** One line saying what the export holds, e.g. `your personal data` or `the tables users, courses`. */
export function describeExport(job: EmailJob): string {
  const format = `${FORMAT_NAMES[job.format] ?? job.format}${job.compression === 'gzip' ? ', gzip-compressed' : ''}`;
  switch (job.kind) {
    case 'user':
      return `your personal data (profile, transactions, courses and activity) as ${format}`;
    case 'bulk':
      return `the table${job.tables.length === 1 ? '' : 's'} ${job.tables.join(', ')} as ${format}`;
    case 'scheduled': {
      const day = job.scheduledFor ? ` for ${job.scheduledFor.toISOString().slice(0, 10)}` : '';
      return `the scheduled export ${job.scheduleName ?? job.tables.join(', ')}${day} as ${format}`;
    }
  }
}

/** `Your data export is ready` for a user's own export, `Export failed: daily_transactions` otherwise. */
function subjectFor(
  job: Pick<ExportJob, 'kind' | 'scheduleName' | 'tables'>,
  outcome: 'ready' | 'failed',
): string {
  if (job.kind === 'user') return `Your data export ${outcome === 'ready' ? 'is ready' : 'failed'}`;
  return `Export ${outcome}: ${job.scheduleName ?? job.tables.join(', ')}`;
}

/** The email telling the requester that the export is ready, with its signed link and expiry. */
export function completedExportEmail(input: CompletedEmailInput): EmailContent {
  if (input.result.files) return completedChunkedExportEmail(input, input.result.files);
  const { job, result, downloadUrl, expiresAt } = input;
  const what = describeExport(job);
  const size = formatBytes(result.bytes);
  const expires = formatUtc(expiresAt);
  const rows = result.tables.map((t) => `${t.name}: ${t.rows.toLocaleString('en-US')} rows`);
  const subject = subjectFor(job, 'ready');
  const text = [
    'Hello,',
    '',
    `Your export of ${what} is ready.`,
    '',
    `File: ${result.fileName} (${size})`,
    ...rows.map((line) => `  - ${line}`),
    '',
    'Download it here:',
    downloadUrl,
    '',
    `The link expires on ${expires}. After that, request a new export.`,
    '',
    `Export id: ${job.id}`,
    '',
  ].join('\n');
  const html = htmlEmail([
    `<p>Your export of ${escapeHtml(what)} is ready.</p>`,
    `<p>File: <strong>${escapeHtml(result.fileName)}</strong> (${escapeHtml(size)})</p>`,
    `<ul>${rows.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`,
    `<p><a href="${escapeHtml(downloadUrl)}">Download your export</a></p>`,
    `<p>The link expires on ${escapeHtml(expires)}. After that, request a new export.</p>`,
    `<p style="color: #666">Export id: ${escapeHtml(job.id)}</p>`,
  ]);
  return { subject, text, html };
}

/** Files an email links one by one; the manifest lists the rest, so a huge export stays a short email. */
export const MAX_EMAILED_FILE_LINKS = 20;

/** The signed link of one file: the download route's link with `file=` set (the token covers every file of the job). */
function fileLink(downloadUrl: string, name: string): string {
  const url = new URL(downloadUrl);
  url.searchParams.set('file', name);
  return url.toString();
}

const plural = (count: number, one: string) =>
  `${count.toLocaleString('en-US')} ${one}${count === 1 ? '' : 's'}`;

/**
 * The ready email of a job split into files: how many files and their total size, rows and files
 * per table, the manifest's link (it lists every file with its size, rows and SHA-256), and a
 * link per file for the first {@link MAX_EMAILED_FILE_LINKS}.
 */
function completedChunkedExportEmail(input: CompletedEmailInput, files: readonly JobFile[]): EmailContent {
  const { job, result, downloadUrl, expiresAt } = input;
  const what = describeExport(job);
  const expires = formatUtc(expiresAt);
  const summary = `${plural(files.length, 'file')}, ${formatBytes(result.bytes)} in total`;
  const tables = [...new Set(files.map((f) => f.table))].map((table) => {
    const parts = files.filter((f) => f.table === table);
    const rows = parts.reduce((sum, f) => sum + f.rows, 0);
    return `${table}: ${plural(rows, 'row')} in ${plural(parts.length, 'file')}`;
  });
  const manifestUrl = fileLink(downloadUrl, MANIFEST_FILE);
  const listed = files.slice(0, MAX_EMAILED_FILE_LINKS).map((f) => ({
    label: `${f.name} (${formatBytes(f.bytes)})`,
    url: fileLink(downloadUrl, f.name),
  }));
  const more = files.length - listed.length;
  const moreLine = `…and ${plural(more, 'more file')}, listed in the manifest: add &file=<name> to the manifest's link to download one.`;
  const subject = subjectFor(job, 'ready');
  const text = [
    'Hello,',
    '',
    `Your export of ${what} is ready: ${summary}.`,
    ...tables.map((line) => `  - ${line}`),
    '',
    'The manifest lists every file with its size, rows and SHA-256 checksum:',
    manifestUrl,
    '',
    'The files:',
    ...listed.map((f) => `  ${f.label}: ${f.url}`),
    ...(more > 0 ? [`  ${moreLine}`] : []),
    '',
    `The links expire on ${expires}. After that, request a new export.`,
    '',
    `Export id: ${job.id}`,
    '',
  ].join('\n');
  const html = htmlEmail([
    `<p>Your export of ${escapeHtml(what)} is ready: <strong>${escapeHtml(summary)}</strong>.</p>`,
    `<ul>${tables.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`,
    `<p><a href="${escapeHtml(manifestUrl)}">Download the manifest</a>: it lists every file with its size, rows and SHA-256 checksum.</p>`,
    `<ol>${listed.map((f) => `<li><a href="${escapeHtml(f.url)}">${escapeHtml(f.label)}</a></li>`).join('')}</ol>`,
    ...(more > 0 ? [`<p>${escapeHtml(moreLine)}</p>`] : []),
    `<p>The links expire on ${escapeHtml(expires)}. After that, request a new export.</p>`,
    `<p style="color: #666">Export id: ${escapeHtml(job.id)}</p>`,
  ]);
  return { subject, text, html };
}

/** An email's HTML: the greeting, then `paragraphs` (already escaped markup), one per line. */
function htmlEmail(paragraphs: readonly string[]): string {
  return [
    '<!DOCTYPE html>',
    '<html><body style="font-family: sans-serif">',
    '<p>Hello,</p>',
    ...paragraphs,
    '</body></html>',
    '',
  ].join('\n');
}

/** The one email telling the requester that the export failed. */
export function failedExportEmail(input: FailedEmailInput): EmailContent {
  const { job, error } = input;
  const what = describeExport(job);
  // The fixed, actionable text of the error's code: internal error text never reaches an email.
  const reason = jobFailure(error.code, error.retryable);
  const subject = subjectFor(job, 'failed');
  const text = [
    'Hello,',
    '',
    `Your export of ${what} failed.`,
    reason.message,
    '',
    `Export id: ${job.id}`,
    `Error code: ${reason.code}`,
    '',
  ].join('\n');
  const html = htmlEmail([
    `<p>Your export of ${escapeHtml(what)} failed.</p>`,
    `<p>${escapeHtml(reason.message)}</p>`,
    `<p style="color: #666">Export id: ${escapeHtml(job.id)}<br>Error code: ${escapeHtml(reason.code)}</p>`,
  ]);
  return { subject, text, html };
}
