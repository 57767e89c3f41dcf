import { Transform } from 'node:stream';

/**
 * Joins small chunks into buffers of at least `size` bytes. postgres.js yields one chunk per COPY
 * row (~80 bytes); gzip, hashing and uploads cost far less per 64 KiB than per row.
 */
export function coalesce(size = 64 * 1024): Transform {
  let parts: Buffer[] = [];
  let length = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= size) {
        const out = parts.length === 1 ? parts[0] : Buffer.concat(parts, length);
        parts = [];
        length = 0;
        callback(null, out);
      } else callback();
    },
    flush(callback) {
      if (length > 0) callback(null, Buffer.concat(parts, length));
      else callback();
    },
  });
}
