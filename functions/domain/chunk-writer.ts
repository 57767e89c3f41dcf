import { type Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { createSHA256, type IHasher } from 'hash-wasm';
import type { CatalogueTable } from './catalogue.js';
import { partSizeFor, SLICE_ROWS } from './chunk-plan.js';
import { coalesce } from './encoding/coalesce.js';
import { csvCopy, jsonLinesCopy, parquetCopy, xmlValuesCopy } from './encoding/copy-statements.js';
import { jsonArrayBody } from './encoding/json-rows.js';
import { csvRecordCounter, lineCounter } from './encoding/line-counter.js';
import { parquetFile } from './encoding/parquet-file.js';
import { xmlAttribute, xmlRows } from './encoding/xml-rows.js';
import { ExportCancelledError } from './errors.js';
import type { ChunkCheckpoint } from './export-chunks.js';
import type { Compression, ExportFormat } from './export-format.js';
import { type KeyRange, primaryKeyType, type TableFilter, tableSource } from './export-request.js';
import type { ExportSource } from './export-source.js';
import type { MultipartObject, MultipartUploads, UploadedPart } from './multipart-uploads.js';
import type { ExportDatabase, Snapshot } from './ports.js';

/** One chunk's file: a key range of one table in one format. */
export interface ChunkWriteSpec {
  readonly key: string;
  readonly object: MultipartObject;
  readonly table: CatalogueTable;
  readonly filter?: TableFilter;
  readonly columns?: readonly string[];
  /** `(from, to]`; `to` null: the table was empty when planned, so the file holds no rows. */
  readonly range: { readonly from: string | null; readonly to: string | null };
  readonly rowsEstimate: number;
  readonly format: ExportFormat;
  readonly compression: Compression;
  readonly formulaGuard: boolean;
  /** The job's `asOf`, written into JSON and XML documents and Parquet metadata. */
  readonly exportedAt: string;
  /** @default SLICE_ROWS */
  readonly sliceRows?: number;
}

export interface ChunkWriteOptions {
  /** Aborting stops the chunk; the upload is left for the caller to resume or abort. */
  readonly signal?: AbortSignal;
  /** Asked after each stored part: true stops the chunk there, to continue in another invocation. */
  readonly shouldPause?: () => boolean;
  readonly onProgress?: (counts: { readonly rows: number; readonly bytes: number }) => void;
  /** Saves a checkpoint; called when the upload starts and after every stored part. */
  readonly onCheckpoint: (checkpoint: ChunkCheckpoint) => Promise<void>;
}

export type ChunkWriteOutcome =
  | {
      readonly status: 'done';
      readonly rows: number;
      readonly bytes: number;
      readonly sha256: string;
      readonly etag: string;
    }
  | { readonly status: 'paused'; readonly checkpoint: ChunkCheckpoint };

export interface ChunkWriterDeps {
  readonly database: ExportDatabase;
  readonly uploads: MultipartUploads;
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/**
 * Writes one chunk into its multipart upload, or continues it from `checkpoint`. Text formats are
 * read in slices of the key range (one COPY each, in key order); a part is stored when a slice
 * ends with at least a part's worth of bytes buffered, so every stored part ends after a known
 * key, and the checkpoint saved after it lets another invocation continue exactly there. With
 * gzip each part is whole gzip members (a file of several members is one gzip stream to readers).
 * The SHA-256 state travels in the checkpoint, so the digest covers the whole file.
 *
 * Parquet files end with a footer describing every row group, so a Parquet chunk is one COPY and
 * cannot pause: it restarts from its beginning if its invocation ends first.
 */
export async function writeChunk(
  deps: ChunkWriterDeps,
  spec: ChunkWriteSpec,
  checkpoint: ChunkCheckpoint | null,
  options: ChunkWriteOptions,
): Promise<ChunkWriteOutcome> {
  const hasher = await createSHA256();
  // A Parquet chunk never continues: its parts so far are replaced from part 1.
  const resume = spec.format === 'parquet' ? null : checkpoint;
  if (resume) hasher.load(Buffer.from(resume.hashState, 'base64'));
  else hasher.init();
  const uploadId = checkpoint?.uploadId ?? (await deps.uploads.create(spec.key, spec.object));
  const state = {
    parts: [...(resume?.parts ?? [])] as UploadedPart[],
    lastKey: resume?.lastKey ?? null,
    rows: resume?.rows ?? 0,
    bytes: resume?.bytes ?? 0,
  };
  const partSize = () => partSizeFor(spec.rowsEstimate, state.parts.length + 1);
  const saved = (): ChunkCheckpoint => ({
    key: spec.key,
    uploadId,
    parts: state.parts,
    lastKey: state.lastKey,
    rows: state.rows,
    bytes: state.bytes,
    hashState: Buffer.from(hasher.save()).toString('base64'),
    partSize: partSize(),
  });
  if (!checkpoint || checkpoint !== resume) await options.onCheckpoint(saved());

  const buffer = new PartBuffer(spec.compression, hasher);
  const report = () => options.onProgress?.({ rows: state.rows, bytes: state.bytes + buffer.size });
  const storePart = async (last = false) => {
    const body = await buffer.seal(last && state.parts.length === 0);
    // S3 takes an empty last part, but there is no need for one.
    if (last && body.length === 0 && state.parts.length > 0) return;
    const partNumber = state.parts.length + 1;
    state.parts.push(await deps.uploads.uploadPart(spec.key, uploadId, partNumber, body));
    state.bytes += body.length;
  };
  const checkAbort = () => {
    if (options.signal?.aborted) throw options.signal.reason ?? new ExportCancelledError();
  };

  const fresh = state.parts.length === 0;
  const result = await deps.database.withSnapshot(
    async (snapshot): Promise<ChunkWriteOutcome | undefined> => {
      if (fresh) await buffer.write(documentStart(spec));
      if (spec.format === 'parquet') {
        const source = tableSource(spec.table, spec.filter, spec.columns, rangeOf(spec, spec.range.from));
        await copyInto(
          snapshot,
          parquetCopy(source),
          source,
          buffer,
          options.signal,
          [
            parquetFile(source.columns, {
              sourceName: spec.table.name,
              metadata: { exported_at: spec.exportedAt },
              onRows: (n) => {
                state.rows += n;
                report();
              },
            }),
          ],
          async () => {
            if (buffer.size >= partSize()) await storePart();
          },
        );
        state.lastKey = spec.range.to;
        return undefined;
      }
      let after = state.lastKey ?? spec.range.from;
      while (spec.range.to !== null) {
        checkAbort();
        const end = await snapshot.keyAt(
          spec.table.name,
          spec.table.primaryKey,
          primaryKeyType(spec.table),
          { after, upTo: spec.range.to },
          spec.sliceRows ?? SLICE_ROWS,
        );
        if (end === null) break;
        const source = tableSource(spec.table, spec.filter, spec.columns, { after, upTo: end });
        const counted = (n: number) => {
          state.rows += n;
          report();
        };
        const continued = state.rows > 0;
        const [statement, stages] = sliceEncoding(spec, source, continued, counted);
        await copyInto(snapshot, statement, source, buffer, options.signal, stages);
        after = end;
        state.lastKey = end;
        if (buffer.size >= partSize()) {
          await storePart();
          checkAbort();
          const point = saved();
          await options.onCheckpoint(point);
          report();
          if (options.shouldPause?.()) return { status: 'paused', checkpoint: point };
        }
      }
      return undefined;
    },
  );
  if (result) return result;
  checkAbort();
  await buffer.write(documentEnd(spec));
  await storePart(true);
  const stored = await deps.uploads.complete(spec.key, uploadId, state.parts);
  report();
  return {
    status: 'done',
    rows: state.rows,
    bytes: state.bytes,
    sha256: hasher.digest('hex'),
    etag: stored.etag,
  };
}

function rangeOf(spec: ChunkWriteSpec, after: string | null): KeyRange {
  return { after, upTo: spec.range.to };
}

/** The COPY statement of a slice and the stages that turn its output into the file's format. */
function sliceEncoding(
  spec: ChunkWriteSpec,
  source: ExportSource,
  continued: boolean,
  counted: (rows: number) => void,
): [string, Transform[]] {
  switch (spec.format) {
    case 'csv':
      // The header is the document's start, written once per file.
      return [csvCopy(source, spec.formulaGuard, false), [csvRecordCounter(counted)]];
    case 'ndjson':
      return [jsonLinesCopy(source), [lineCounter(counted)]];
    case 'json':
      return [jsonLinesCopy(source), [lineCounter(counted), jsonArrayBody(continued)]];
    case 'xml':
      return [
        xmlValuesCopy(source),
        [
          xmlRows(
            source.columns.map((c) => c.name),
            'row',
            counted,
          ),
        ],
      ];
    case 'parquet':
      throw new Error('parquet chunks are one COPY, not slices');
  }
}

/** What a file of the format starts with: the CSV header row, the JSON or XML document's opening. */
function documentStart(spec: ChunkWriteSpec): string {
  const name = spec.table.name;
  const columns = spec.columns ?? spec.table.columns.map((c) => c.name);
  switch (spec.format) {
    case 'csv':
      // Catalogue column names are plain identifiers, which COPY's header never quotes.
      return `${columns.join(',')}\n`;
    case 'json':
      return `{${JSON.stringify(name)}:[\n`;
    case 'xml':
      return `<?xml version="1.0" encoding="UTF-8"?>\n<export xmlns:xsi="${XSI}" exportedAt="${xmlAttribute(spec.exportedAt)}">\n<${name}>\n`;
    default:
      return '';
  }
}

function documentEnd(spec: ChunkWriteSpec): string {
  switch (spec.format) {
    case 'json':
      return `\n],\n"exportedAt":${JSON.stringify(spec.exportedAt)}}\n`;
    case 'xml':
      return `</${spec.table.name}>\n</export>\n`;
    default:
      return '';
  }
}

/** Runs one COPY through `stages` into the part buffer, stopping when `signal` aborts. */
async function copyInto(
  snapshot: Snapshot,
  statement: string,
  source: ExportSource,
  buffer: PartBuffer,
  signal: AbortSignal | undefined,
  stages: Transform[],
  afterWrite?: () => Promise<void>,
): Promise<void> {
  const rows = await snapshot.copyOut(statement, source.params);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      buffer
        .write(chunk)
        .then(() => afterWrite?.())
        .then(() => callback(), callback);
    },
  });
  await pipeline([rows as Readable, coalesce(), ...stages, sink], signal ? { signal } : {});
}

/**
 * The bytes of the part being filled, compressed when the file is gzip. Sealing a part ends its
 * gzip member, so each stored part is complete on its own and the next invocation can append.
 */
class PartBuffer {
  private chunks: Buffer[] = [];
  private stored = 0;
  private gzip: Gzip | undefined;

  constructor(
    private readonly compression: Compression,
    private readonly hasher: IHasher,
  ) {}

  /** Bytes of the part so far (compressed). */
  get size(): number {
    return this.stored;
  }

  async write(data: Buffer | string): Promise<void> {
    if (data.length === 0) return;
    if (this.compression !== 'gzip') {
      this.take(typeof data === 'string' ? Buffer.from(data) : data);
      return;
    }
    const gzip = this.member();
    if (!gzip.write(data)) await new Promise<void>((resolve) => gzip.once('drain', resolve));
  }

  /**
   * Ends the part: its bytes, with the gzip member closed. The buffer starts a new part.
   * `whole`: the part is the whole file, which even without rows must be a gzip stream.
   */
  async seal(whole = false): Promise<Buffer> {
    if (whole && this.compression === 'gzip') this.member();
    const gzip = this.gzip;
    if (gzip) {
      this.gzip = undefined;
      await new Promise<void>((resolve, reject) => {
        gzip.once('end', resolve);
        gzip.once('error', reject);
        gzip.end();
      });
    }
    const body = Buffer.concat(this.chunks);
    this.chunks = [];
    this.stored = 0;
    return body;
  }

  private member(): Gzip {
    if (!this.gzip) {
      const gzip = createGzip();
      gzip.on('data', (b: Buffer) => this.take(b));
      this.gzip = gzip;
    }
    return this.gzip;
  }

  private take(bytes: Buffer) {
    this.hasher.update(bytes);
    this.chunks.push(bytes);
    this.stored += bytes.length;
  }
}
