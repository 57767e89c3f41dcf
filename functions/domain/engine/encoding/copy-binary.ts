/** `PGCOPY\n\377\r\n\0`: the signature that opens every binary COPY stream. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Signature, flags (int32) and header-extension length (int32). */
const HEADER_BYTES = SIGNATURE.length + 8;
/** Flag bits 0–15 mark format changes a reader must understand; bit 16 means OIDs follow. */
const UNKNOWN_FLAGS = 0x0001ffff;

/**
 * Called once per row with the buffer holding it and, for field `i`, its start at `fields[2i]`
 * and its byte length at `fields[2i + 1]` (-1 for NULL). `fields` is reused for the next row, so
 * read it before returning; `buffer` may be kept (e.g. by `subarray`).
 */
export type BinaryRowHandler = (buffer: Buffer, fields: Int32Array) => void;

/**
 * Splits PostgreSQL's binary COPY stream (`COPY … TO STDOUT WITH (FORMAT binary)`) into rows, from
 * chunks of any size. The format is a header, then per row a 16-bit field count and each field as
 * a 32-bit length (-1 for NULL) followed by that many bytes, then a 16-bit -1 trailer. Each field
 * is its type's binary send form, raw UTF-8 for text, so nothing needs unescaping.
 */
export class BinaryCopyReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes of `pending` needed before parsing can make progress again. */
  private needed = HEADER_BYTES;
  private headerRead = false;
  private ended = false;
  private readonly fields: Int32Array;

  constructor(
    private readonly fieldCount: number,
    private readonly onRow: BinaryRowHandler,
  ) {
    this.fields = new Int32Array(fieldCount * 2);
  }

  /** Parses every complete row in `chunk` (with the bytes held back from earlier chunks). */
  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // A row split over many chunks (a large jsonb value) is joined once, when all of it is here.
    if (this.pendingBytes < this.needed) return;
    const buffer = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    const consumed = this.parse(buffer);
    const rest = buffer.length - consumed;
    this.pending = rest > 0 ? [buffer.subarray(consumed)] : [];
    this.pendingBytes = rest;
  }

  /** @throws Error when the stream stopped before its trailer. */
  end(): void {
    if (!this.ended) throw new Error('binary COPY stream ended before its trailer');
  }

  /** Returns how many bytes of `buffer` were consumed, and sets `needed` for the rest. */
  private parse(buffer: Buffer): number {
    let at = 0;
    if (!this.headerRead) {
      if (buffer.length < HEADER_BYTES) return this.wait(0, HEADER_BYTES);
      if (!buffer.subarray(0, SIGNATURE.length).equals(SIGNATURE))
        throw new Error('not a binary COPY stream');
      if ((buffer.readUInt32BE(SIGNATURE.length) & UNKNOWN_FLAGS) !== 0)
        throw new Error('binary COPY stream with unsupported flags');
      const extension = buffer.readUInt32BE(SIGNATURE.length + 4);
      if (buffer.length < HEADER_BYTES + extension) return this.wait(0, HEADER_BYTES + extension);
      at = HEADER_BYTES + extension;
      this.headerRead = true;
    }
    const end = buffer.length;
    const fields = this.fields;
    while (at < end) {
      if (this.ended) throw new Error('data after the binary COPY trailer');
      if (at + 2 > end) return this.wait(at, 2);
      const count = buffer.readInt16BE(at);
      if (count === -1) {
        this.ended = true;
        at += 2;
        continue;
      }
      if (count !== this.fieldCount)
        throw new Error(`binary COPY row has ${count} fields, expected ${this.fieldCount}`);
      let q = at + 2;
      for (let i = 0; i < count; i++) {
        if (q + 4 > end) return this.wait(at, q + 4 - at);
        const length = buffer.readInt32BE(q);
        q += 4;
        if (length < -1) throw new Error(`binary COPY field length ${length}`);
        fields[2 * i] = q;
        fields[2 * i + 1] = length;
        if (length > 0) {
          if (q + length > end) return this.wait(at, q + length - at);
          q += length;
        }
      }
      this.onRow(buffer, fields);
      at = q;
    }
    this.needed = 0;
    return at;
  }

  private wait(consumed: number, needed: number): number {
    this.needed = needed;
    return consumed;
  }
}
