import { createGzip, type Gzip } from 'node:zlib';
import type { Compression } from '../../engine/export-format.js';

/**
 * The bytes of the part being filled, compressed when the file is gzip. Sealing a part ends its
 * gzip member, so each stored part is complete on its own and the next invocation can append.
 */
export class PartBuffer {
  private chunks: Buffer[] = [];
  private stored = 0;
  private gzip: Gzip | undefined;

  constructor(
    private readonly compression: Compression,
    /** Sees every byte of the file as it enters the buffer; none for a file digested afterwards. */
    private readonly hasher: { update(bytes: Buffer): unknown } | null,
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

  /** Drops the part being filled: the chunk stops before it would be stored. */
  discard(): void {
    this.gzip?.destroy();
    this.gzip = undefined;
    this.chunks = [];
    this.stored = 0;
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
    this.hasher?.update(bytes);
    this.chunks.push(bytes);
    this.stored += bytes.length;
  }
}
