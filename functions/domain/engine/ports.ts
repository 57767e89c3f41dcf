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
   * output stream. `statement` is built by the domain from catalogue identifiers only. The stream
   * yields one chunk per row, a CSV header being a row (Postgres sends one CopyData message per
   * row, also for a cell with line breaks), so counting chunks counts rows.
   */
  copyOut(statement: string, params: Readonly<Record<string, string>>): Promise<Readable>;
  /** The planner's row estimate for a source (`EXPLAIN`): no pass over the data. */
  estimate(source: ExportSource): Promise<number>;
  /**
   * What the database knows of a table's primary key without reading the table: its minimum and
   * maximum (two index probes) and the planner statistics' histogram bounds, as text.
   */
  keyStats(table: string, key: string): Promise<KeyStats>;
  /**
   * The `offset`-th key (1-based) of `table` after `after` and at most `upTo`, or the last such
   * key when fewer remain, or null when none does: where a slice of a chunk ends.
   */
  keyAt(
    table: string,
    key: string,
    keyType: string,
    range: { readonly after: string | null; readonly upTo: string | null },
    offset: number,
  ): Promise<string | null>;
}

/** A table's primary key as the planner sees it (see `Snapshot.keyStats`). */
export interface KeyStats {
  readonly min: string | null;
  readonly max: string | null;
  /** Equal-frequency bounds from `pg_stats` (empty before the table was analysed). */
  readonly histogram: readonly string[];
}

export interface SnapshotOptions {
  /**
   * Join the snapshot another transaction exported (see `ExportDatabase.withSharedSnapshot`)
   * instead of taking a new one: both then see exactly the same rows.
   */
  readonly shared?: string;
}

/** Port to the product database for exports. */
export interface ExportDatabase {
  /** Runs `work` in a read-only REPEATABLE READ snapshot, its own or the shared one `options` names. */
  withSnapshot<T>(work: (snapshot: Snapshot) => Promise<T>, options?: SnapshotOptions): Promise<T>;
}

/** Port to the product database for exports whose parallel readers share one snapshot. */
export interface SharedSnapshots {
  /**
   * Runs `work` in a snapshot that other transactions can join while `work` runs, through the id
   * `work` is given (`pg_export_snapshot()`, as `pg_dump -j` shares one snapshot among workers).
   */
  withSharedSnapshot<T>(work: (snapshot: Snapshot, shared: string) => Promise<T>): Promise<T>;
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
