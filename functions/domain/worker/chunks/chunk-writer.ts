import { createHash } from 'node:crypto';
import { type Readable, type Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CatalogueTable } from '../../catalogue/catalogue.js';
import {
  type KeyRange,
  primaryKeyType,
  type TableFilter,
  tableSource,
} from '../../catalogue/table-source.js';
import { coalesce } from '../../engine/encoding/coalesce.js';
import type { Compression, ExportFormat } from '../../engine/export-format.js';
import type { ExportSource } from '../../engine/export-source.js';
import { codecFor, type DocumentInfo } from '../../engine/format-codec.js';
import type { MultipartObject, MultipartUploads, UploadedPart } from '../../engine/multipart-uploads.js';
import type { ExportDatabase, Snapshot } from '../../engine/ports.js';
import { ExportCancelledError } from '../../errors.js';
import { partSizeFor, SLICE_ROWS } from './chunk-plan.js';
import type { ChunkCheckpoint } from './export-chunks.js';
import { PartBuffer } from './part-buffer.js';
import { UploadInFlight } from './upload-in-flight.js';

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
  /**
   * Asked when a part is sealed, and when the part before it has been stored meanwhile: true stops
   * the chunk at the last part stored, with its checkpoint, to continue in another invocation.
   */
  readonly shouldPause?: () => boolean;
  readonly onProgress?: (counts: { readonly rows: number; readonly bytes: number }) => void;
  /** Saves a checkpoint; called when the upload starts and after every part stored before the last. */
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

/**
 * Writes one chunk into its multipart upload, or continues it from `checkpoint`. Text formats are
 * read in slices of the key range (one COPY each, in key order); a part is sealed when a slice
 * ends with at least a part's worth of bytes buffered, so every stored part ends after a known
 * key, and the checkpoint saved after it lets another invocation continue exactly there. With
 * gzip each part is whole gzip members (a file of several members is one gzip stream to readers).
 *
 * The file's SHA-256 is taken as it is written when one invocation writes it all (the usual case,
 * with node:crypto, several times faster than a digest whose state could be saved). A chunk
 * continued from a checkpoint with parts reads its file back once it is complete instead; the
 * checkpoint saved after completing lets a continuation that finds the file stored only do that.
 *
 * Reading and uploading overlap: a sealed part uploads while the next one is read, so neither
 * Postgres nor S3 waits for the other. At most one part uploads at a time, and it must be stored
 * (and its checkpoint saved) before the next part is sealed, so at most two parts are in memory
 * and checkpoints are saved in part order. Whether to pause is asked when a part is sealed (that
 * part is then stored and checkpointed, and nothing further is read), and once more at the first
 * slice's end after the part before it is checkpointed (the bytes read since are then dropped).
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
  // A Parquet chunk never continues: its parts so far are replaced from part 1.
  const resume = !codecFor(spec.format).continuable && !checkpoint?.completed ? null : checkpoint;
  if (resume?.completed) return readBack(deps.uploads, resume, resume.completed.etag);
  // Bytes already stored cannot be hashed here: such a file is digested by reading it back.
  const hasher = resume && resume.parts.length > 0 ? null : createHash('sha256');
  const uploadId = checkpoint?.uploadId ?? (await deps.uploads.create(spec.key, spec.object));
  /** What has been read: rows and the last key in the buffer or before it. */
  const read = { lastKey: resume?.lastKey ?? null, rows: resume?.rows ?? 0 };
  /** Parts stored so far, in order (only one uploads at a time). */
  const parts: UploadedPart[] = [...(resume?.parts ?? [])];
  /** Number of the next part to seal, and the file's bytes in the parts sealed before it. */
  let nextPart = parts.length + 1;
  let sealedBytes = resume?.bytes ?? 0;
  const partSize = () => partSizeFor(spec.rowsEstimate, nextPart);
  if (!checkpoint || checkpoint !== resume)
    await options.onCheckpoint({
      key: spec.key,
      uploadId,
      parts: [],
      lastKey: read.lastKey,
      rows: read.rows,
      bytes: 0,
      partSize: partSize(),
    });

  const buffer = new PartBuffer(spec.compression, hasher);
  const report = () => options.onProgress?.({ rows: read.rows, bytes: sealedBytes + buffer.size });
  const checkAbort = () => {
    if (options.signal?.aborted) throw options.signal.reason ?? new ExportCancelledError();
  };
  /**
   * Ends the buffered part and records the file's state at its end, before more bytes enter the
   * buffer. `whole`: the part is the whole file (see PartBuffer.seal).
   */
  const seal = async (whole = false): Promise<SealedPart> => {
    const body = await buffer.seal(whole);
    sealedBytes += body.length;
    const end = { lastKey: read.lastKey, rows: read.rows, bytes: sealedBytes };
    return { partNumber: nextPart++, body, end };
  };
  /** Stores a sealed part and, for a part a continuation may start after, saves its checkpoint. */
  const store = async (part: SealedPart, saveCheckpoint: boolean): Promise<ChunkCheckpoint> => {
    parts.push(await deps.uploads.uploadPart(spec.key, uploadId, part.partNumber, part.body));
    const point: ChunkCheckpoint = {
      key: spec.key,
      uploadId,
      parts: [...parts],
      ...part.end,
      partSize: partSizeFor(spec.rowsEstimate, part.partNumber + 1),
    };
    if (saveCheckpoint) {
      checkAbort();
      await options.onCheckpoint(point);
      report();
    }
    return point;
  };
  const inFlight = new UploadInFlight<ChunkCheckpoint>();
  const codec = codecFor(spec.format);
  const doc: DocumentInfo = { exportedAt: spec.exportedAt };
  /** The chunk's whole range as one source: its name and columns, and Parquet's one COPY. */
  const whole = tableSource(spec.table, spec.filter, spec.columns, rangeOf(spec, spec.range.from));
  const counted = (n: number) => {
    read.rows += n;
    report();
  };
  const encode = (source: ExportSource, continued: boolean) =>
    codec.encode(source, { formulaGuard: spec.formulaGuard, continued, onRows: counted, document: doc });

  try {
    const fresh = parts.length === 0;
    const result = await deps.database.withSnapshot(
      async (snapshot): Promise<ChunkWriteOutcome | undefined> => {
        if (fresh) await buffer.write(codec.documentStart(doc) + codec.sectionStart(whole, 0));
        if (!codec.continuable) {
          const encoding = encode(whole, false);
          await copyInto(snapshot, encoding.statement, whole, buffer, options.signal, encoding.stages, {
            onRows: encoding.countCopyRows ? counted : undefined,
            afterWrite: async () => {
              inFlight.throwIfFailed();
              if (buffer.size < partSize()) return;
              await inFlight.settle();
              // Parquet parts carry no checkpoint: a Parquet chunk restarts from its beginning.
              const part = await seal();
              inFlight.start(() => store(part, false));
            },
          });
          read.lastKey = spec.range.to;
          return undefined;
        }
        let after = read.lastKey ?? spec.range.from;
        while (spec.range.to !== null) {
          checkAbort();
          // A failed upload or a lost lease stops the reading at the next slice, not a part later.
          inFlight.throwIfFailed();
          const end = await snapshot.keyAt(
            spec.table.name,
            spec.table.primaryKey,
            primaryKeyType(spec.table),
            { after, upTo: spec.range.to },
            spec.sliceRows ?? SLICE_ROWS,
          );
          if (end === null) break;
          const source = tableSource(spec.table, spec.filter, spec.columns, { after, upTo: end });
          const encoding = encode(source, read.rows > 0);
          const onRows = encoding.countCopyRows ? counted : undefined;
          await copyInto(snapshot, encoding.statement, source, buffer, options.signal, encoding.stages, {
            onRows,
          });
          after = end;
          read.lastKey = end;
          if (buffer.size >= partSize()) {
            // The previous part is stored and its checkpoint saved before this one is sealed.
            await inFlight.settle();
            const part = await seal();
            if (options.shouldPause?.()) return { status: 'paused', checkpoint: await store(part, true) };
            inFlight.start(() => store(part, true));
          } else if (inFlight.finished) {
            // The part read before is stored and checkpointed now, and its timing is known: if time
            // is short, stop here, giving up less than a part of reading rather than storing more.
            const point = (await inFlight.settle())!;
            if (options.shouldPause?.()) {
              buffer.discard();
              options.onProgress?.({ rows: point.rows, bytes: point.bytes });
              return { status: 'paused', checkpoint: point };
            }
          }
        }
        return undefined;
      },
    );
    await inFlight.settle();
    if (result) return result;
    checkAbort();
    await buffer.write(codec.sectionEnd(whole, read.rows) + codec.documentEnd(doc));
    const last = await seal(nextPart === 1);
    // S3 takes an empty last part, but there is no need for one.
    const end =
      last.body.length > 0 || last.partNumber === 1
        ? await store(last, false)
        : { key: spec.key, uploadId, parts: [...parts], ...last.end, partSize: partSize() };
    const stored = await deps.uploads.complete(spec.key, uploadId, parts);
    await options.onCheckpoint({ ...end, completed: { etag: stored.etag } });
    report();
    if (!hasher) return readBack(deps.uploads, end, stored.etag);
    return {
      status: 'done',
      rows: read.rows,
      bytes: sealedBytes,
      sha256: hasher.digest('hex'),
      etag: stored.etag,
    };
  } catch (error) {
    // The caller may abort the upload next: no part upload may still be under way by then.
    await inFlight.drain();
    throw error;
  }
}

/** A sealed part: its body and the file's state at its end, which its checkpoint records. */
interface SealedPart {
  readonly partNumber: number;
  readonly body: Buffer;
  readonly end: Pick<ChunkCheckpoint, 'lastKey' | 'rows' | 'bytes'>;
}

/** The outcome of a file stored across invocations: its counts, and its SHA-256 read back from the store. */
async function readBack(
  uploads: MultipartUploads,
  point: ChunkCheckpoint,
  etag: string,
): Promise<ChunkWriteOutcome> {
  const hash = createHash('sha256');
  for await (const piece of await uploads.read(point.key)) hash.update(piece);
  return { status: 'done', rows: point.rows, bytes: point.bytes, sha256: hash.digest('hex'), etag };
}

function rangeOf(spec: ChunkWriteSpec, after: string | null): KeyRange {
  return { after, upTo: spec.range.to };
}

/**
 * Runs one COPY through `stages` into the part buffer, stopping when `signal` aborts; `onRows`
 * counts its rows (one chunk each), `afterWrite` runs after each write into the buffer.
 */
async function copyInto(
  snapshot: Snapshot,
  statement: string,
  source: ExportSource,
  buffer: PartBuffer,
  signal: AbortSignal | undefined,
  stages: Transform[],
  hooks: {
    readonly onRows?: ((rows: number) => void) | undefined;
    readonly afterWrite?: () => Promise<void>;
  } = {},
): Promise<void> {
  const { onRows, afterWrite } = hooks;
  const rows = await snapshot.copyOut(statement, source.params);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      buffer
        .write(chunk)
        .then(() => afterWrite?.())
        .then(() => callback(), callback);
    },
  });
  await pipeline([rows as Readable, coalesce(undefined, onRows), ...stages, sink], signal ? { signal } : {});
}
