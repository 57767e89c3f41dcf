import type { Readable } from 'node:stream';
import type { ExportSource } from './export-source.js';

/** A read-only, REPEATABLE READ view of the product database that all sources of one export share. */
export interface Snapshot {
  /** The snapshot's transaction time, used as `exportedAt`. */
  readonly startedAt: Date;
  /** Exact row count of a source in this snapshot (so it equals what a later COPY produces). */
  count(source: ExportSource): Promise<number>;
  /**
   * Runs `COPY (…) TO STDOUT …` after binding `params` (see `ExportSource.params`), returning the raw
   * output stream. `statement` is built by the domain from catalogue identifiers only.
   */
  copyOut(statement: string, params: Readonly<Record<string, string>>): Promise<Readable>;
}

/** Port to the product database for exports. */
export interface ExportDatabase {
  withSnapshot<T>(work: (snapshot: Snapshot) => Promise<T>): Promise<T>;
}

export interface UploadRequest {
  readonly key: string;
  readonly body: Readable;
  readonly contentType: string;
  readonly contentDisposition?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** What the store says of one stored object. */
export interface StoredObject {
  /** The object's entity tag (without quotes): it changes whenever the object is replaced. */
  readonly etag: string;
}

/** The read side of the object store: what a download needs. */
export interface ObjectDownloads {
  /** A short-lived URL that downloads `key` as `filename`. */
  presignDownload(key: string, options: { expiresInSeconds: number; filename: string }): Promise<string>;
  /** The object at `key`, or undefined when there is none. */
  head(key: string): Promise<StoredObject | undefined>;
}

/** Port to the object store holding export files (S3 in AWS and locally). */
export interface ObjectStore extends ObjectDownloads {
  /**
   * Streams `body` to `key`. The object becomes visible only when the whole body was stored; when
   * the body errors or the store fails, nothing is left behind (no object, no unfinished upload).
   */
  upload(request: UploadRequest): Promise<StoredObject>;
  /** Removes `key`; removing a missing key is no error. */
  delete(key: string): Promise<void>;
}
