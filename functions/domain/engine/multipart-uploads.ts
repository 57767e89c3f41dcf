import type { StoredObject } from './ports.js';

/** One stored part of a multipart upload: what completing the upload needs. */
export interface UploadedPart {
  readonly partNumber: number;
  /** The part's entity tag, as the store returned it. */
  readonly etag: string;
}

/** Headers of the object a multipart upload will become. */
export interface MultipartObject {
  readonly contentType: string;
  readonly contentDisposition?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** S3's limits on one multipart upload. */
export const MULTIPART_LIMITS = Object.freeze({
  /** Every part but the last is at least this large. */
  minPartBytes: 5 * 1024 * 1024,
  maxParts: 10_000,
});

/**
 * Port: a multipart upload driven part by part, so it can outlive the process that began it: a
 * chunk saves the upload id and its parts' entity tags, and the next invocation uploads the next
 * parts and completes it (docs/chunked-exports.md). The object appears only on `complete`.
 */
export interface MultipartUploads {
  /** Begins an upload to `key`; returns its upload id. */
  create(key: string, object: MultipartObject): Promise<string>;
  /** Stores part `partNumber` (1–10,000); storing a number again replaces that part. */
  uploadPart(key: string, uploadId: string, partNumber: number, body: Buffer): Promise<UploadedPart>;
  /** Joins the parts, in order, into the object at `key`. */
  complete(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<StoredObject>;
  /** Discards the upload and its parts; an upload already gone is no error. */
  abort(key: string, uploadId: string): Promise<void>;
  /**
   * Streams the object an upload completed into: how a file written across invocations gets its
   * SHA-256, since a digest's running state cannot travel to the next invocation.
   */
  read(key: string): Promise<AsyncIterable<Uint8Array>>;
}
