import { createHash } from 'node:crypto';
import { PassThrough, type Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import yazl from 'yazl';
import { ExportCancelledError, ExportError } from '../errors.js';
import { attachmentDisposition } from './content-disposition.js';
import { coalesce } from './encoding/coalesce.js';
import {
  type Compression,
  deflatesInZip,
  type ExportFormat,
  layoutFor,
  objectTypeFor,
} from './export-format.js';
import { codecFor, type DocumentInfo, type EncodedSection } from './format-codec.js';
import type { ExportDatabase, ObjectStore, Snapshot, StoredObject } from './ports.js';

/** A source of an export; `single` sections (the user profile) are one object, not a list. */
export type ExportSection = EncodedSection;

/** Everything the engine needs to write one export object. */
export interface ExportPlan {
  readonly sections: readonly ExportSection[];
  readonly format: ExportFormat;
  readonly compression: Compression;
  readonly formulaGuard: boolean;
  /** Object key, without extension: the extension follows from format, compression and layout. */
  readonly keyBase: string;
  /** Download file name, without extension. */
  readonly fileName: string;
  /** Root element of XML documents. @default 'export' */
  readonly rootElement?: string;
}

export interface ExportProgress {
  readonly rowsExported: number;
  readonly rowsTotal: number;
  readonly bytesWritten: number;
  readonly tablesDone: number;
  readonly tablesTotal: number;
  readonly percent: number;
  /** Of a job written in chunks. */
  readonly chunksDone?: number;
  readonly chunksTotal?: number;
}

export interface ExportResult {
  readonly objectKey: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly bytes: number;
  readonly sha256: string;
  /** The entity tag the store gave the object: a download checks the object still has it. */
  readonly etag: string;
  readonly rows: number;
  readonly tables: readonly { readonly name: string; readonly rows: number }[];
  readonly exportedAt: string;
}

export interface RunExportOptions {
  /** Called at least every `progressRows` rows or `progressIntervalMs`, and once at the end. */
  readonly onProgress?: (progress: ExportProgress) => void;
  /** Aborting stops the export; the upload is aborted and nothing is stored. */
  readonly signal?: AbortSignal;
  readonly progressRows?: number;
  readonly progressIntervalMs?: number;
}

export interface ExportEngineDeps {
  readonly database: ExportDatabase;
  readonly store: ObjectStore;
}

/**
 * Streams the sections of `plan` from one REPEATABLE READ snapshot through their encoder (and
 * gzip or zip) into one object. Memory stays bounded by stream buffers whatever the row count.
 * On any failure or abort the upload is aborted and the error is rethrown once nothing is stored.
 */
export async function runExport(
  deps: ExportEngineDeps,
  plan: ExportPlan,
  options: RunExportOptions = {},
): Promise<ExportResult> {
  return deps.database.withSnapshot((snapshot) => writeExport(deps.store, snapshot, plan, options));
}

async function writeExport(
  store: ObjectStore,
  snapshot: Snapshot,
  plan: ExportPlan,
  options: RunExportOptions,
): Promise<ExportResult> {
  if (options.signal?.aborted) throw new ExportCancelledError();
  // The planner's estimates, for progress only: no pass over the data before writing it.
  const estimates: number[] = [];
  for (const section of plan.sections) estimates.push(await snapshot.estimate(section));
  const rowsEstimate = estimates.reduce((a, b) => a + b, 0);
  // Exact counts, from the rows as they are written.
  const counts: number[] = plan.sections.map(() => 0);
  const layout = layoutFor(plan.format, plan.sections.length);
  const type = objectTypeFor(plan.format, plan.compression, layout);
  const objectKey = `${plan.keyBase}.${type.extension}`;
  const fileName = `${plan.fileName}.${type.extension}`;
  const exportedAt = snapshot.startedAt.toISOString();

  const progress = new ProgressTracker(rowsEstimate, plan.sections.length, options);
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      progress.addBytes(chunk.length);
      callback(null, chunk);
    },
  });

  // Everything written to `document` ends up in the object (after gzip, for single files).
  const zip = layout === 'zip' ? new yazl.ZipFile() : undefined;
  const document = new PassThrough();
  const head = (zip ? zip.outputStream : document) as Readable;
  // A failure destroys every stream with the error; streams that no pipeline listens to at that
  // moment (an idle document, finished zip entries) must not turn it into an uncaught exception.
  // The error itself is reported once, by this function's rejection.
  const ignore = () => {};
  document.on('error', ignore);
  head.on('error', ignore);
  const plumbing = pipeline(
    ...((plan.compression === 'gzip' && !zip ? [head, createGzip(), tap] : [head, tap]) as [
      Readable,
      Transform,
    ]),
  );

  let failure: unknown;
  let stored: StoredObject | undefined;
  const live = new Set<Readable | Writable>();
  // Several streams report one failure; keep the first domain error (it says what went wrong)
  // over the stream plumbing's own AbortError / premature-close errors.
  const fail = (error: unknown) => {
    if (failure === undefined || (!(failure instanceof ExportError) && error instanceof ExportError))
      failure = error;
    for (const stream of live) stream.destroy(error as Error);
    document.destroy(error as Error);
    head.destroy(error as Error);
  };
  const onAbort = () => {
    const reason: unknown = options.signal?.reason;
    fail(reason instanceof ExportError ? reason : new ExportCancelledError());
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  // An abort while the rows were being counted (a slow count, or a table locked by someone else)
  // fired before anyone listened: honour it now rather than export everything.
  if (options.signal?.aborted) onAbort();

  const uploading = store.upload({
    key: objectKey,
    body: tap,
    contentType: type.contentType,
    contentDisposition: attachmentDisposition(fileName),
    metadata: { 'exported-at': exportedAt },
  });
  uploading.catch(fail);
  plumbing.catch(fail);

  const codec = codecFor(plan.format);
  const doc: DocumentInfo = { exportedAt, ...(plan.rootElement && { rootElement: plan.rootElement }) };

  /**
   * One section through the codec into its sink: the document itself, or its own zip entry. Its
   * text and rows all go to that sink, which a zip entry ends and the document does not.
   */
  const writeSection = async (section: ExportSection, index: number) => {
    if (failure) throw failure;
    const sink = zip ? new PassThrough() : document;
    if (zip) {
      sink.on('error', ignore);
      live.add(sink);
      zip.addReadStream(sink as PassThrough, `${section.name}.${plan.format}`, {
        mtime: snapshot.startedAt,
        compress: deflatesInZip(plan.format),
      });
    }
    const rowsDone = (n: number) => {
      counts[index] = (counts[index] ?? 0) + n;
      progress.addRows(index, n);
    };
    await writeText(sink, codec.sectionStart(section, index));
    const encoding = codec.encode(section, {
      formulaGuard: plan.formulaGuard,
      continued: false,
      onRows: rowsDone,
      document: doc,
    });
    const rows = await snapshot.copyOut(encoding.statement, section.params);
    rows.on('error', ignore);
    live.add(rows);
    try {
      if (failure) throw failure;
      await pipeline(
        [rows, coalesce(undefined, encoding.countCopyRows ? rowsDone : undefined), ...encoding.stages, sink],
        { end: false },
      );
    } finally {
      live.delete(rows);
    }
    await writeText(sink, codec.sectionEnd(section, counts[index] ?? 0));
    if (zip) sink.end();
  };

  try {
    // A zip holds formats whose document has no text of its own: each entry is a whole file.
    await writeText(document, codec.documentStart(doc));
    for (const [i, section] of plan.sections.entries()) {
      await writeSection(section, i);
      progress.sectionDone(i, counts[i] ?? 0);
    }
    await writeText(document, codec.documentEnd(doc));
    if (zip) zip.end();
    else document.end();
    await plumbing;
    stored = await uploading;
  } catch (error) {
    fail(error);
    await Promise.allSettled([uploading, plumbing]);
    throw failure;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  if (failure || !stored) throw failure ?? new Error('the upload ended without an object');
  progress.finish();
  return {
    objectKey,
    fileName,
    contentType: type.contentType,
    bytes: progress.bytes,
    sha256: hash.digest('hex'),
    etag: stored.etag,
    rows: counts.reduce((a, b) => a + b, 0),
    tables: plan.sections.map((s, i) => ({ name: s.name, rows: counts[i] ?? 0 })),
    exportedAt,
  };
}

function writeText(stream: Writable, text: string): Promise<void> {
  if (stream.destroyed) return Promise.reject(stream.errored ?? new Error('stream closed'));
  if (text === '' || stream.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onClose = () => {
      cleanup();
      reject(stream.errored ?? new Error('stream closed'));
    };
    stream.on('drain', onDrain);
    stream.on('close', onClose);
  });
}

/** Tracks rows and bytes and calls `onProgress` at most every N rows or T ms. */
class ProgressTracker {
  bytes = 0;
  private readonly perSection: number[];
  private tablesDone = 0;
  private lastRows = 0;
  private lastAt = Date.now();
  private readonly everyRows: number;
  private readonly everyMs: number;

  constructor(
    private readonly rowsTotal: number,
    private readonly tablesTotal: number,
    private readonly options: RunExportOptions,
  ) {
    this.perSection = new Array(tablesTotal).fill(0);
    this.everyRows = options.progressRows ?? 10_000;
    this.everyMs = options.progressIntervalMs ?? 1_000;
  }

  private get rows(): number {
    return this.perSection.reduce((a, b) => a + b, 0);
  }

  addBytes(n: number) {
    this.bytes += n;
    this.maybeReport();
  }

  addRows(section: number, n: number) {
    this.perSection[section] = (this.perSection[section] ?? 0) + n;
    this.maybeReport();
  }

  sectionDone(section: number, exactRows: number) {
    this.perSection[section] = exactRows;
    this.tablesDone = section + 1;
    this.report();
  }

  finish() {
    this.report();
  }

  private maybeReport() {
    if (!this.options.onProgress) return;
    const rows = this.rows;
    if (rows - this.lastRows >= this.everyRows || Date.now() - this.lastAt >= this.everyMs) this.report();
  }

  private report() {
    if (!this.options.onProgress) return;
    const rows = this.rows;
    this.lastRows = this.rows;
    this.lastAt = Date.now();
    const done = this.tablesDone === this.tablesTotal;
    const percent = done
      ? 100
      : this.rowsTotal === 0
        ? 0
        : Math.min(99, Math.floor((rows / this.rowsTotal) * 100));
    this.options.onProgress({
      rowsExported: rows,
      rowsTotal: Math.max(this.rowsTotal, rows),
      bytesWritten: this.bytes,
      tablesDone: this.tablesDone,
      tablesTotal: this.tablesTotal,
      percent,
    });
  }
}
