import { Transform } from 'node:stream';

const SEPARATOR = Buffer.from(',\n');

/**
 * Turns newline-terminated JSON rows (`r1\nr2\n`) into the body of a JSON array (`r1,\nr2`), so
 * the document writer only adds `[` and `]`. Works on byte chunks; rows may span chunks.
 * `continued`: rows were already written before this stream's, so its first row needs a separator.
 */
export function jsonArrayBody(continued = false): Transform {
  let pendingSeparator = continued;
  let started = continued;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const parts: Buffer[] = [];
      let start = 0;
      let at = chunk.indexOf(10);
      while (at !== -1) {
        if (at > start) {
          if (pendingSeparator) parts.push(SEPARATOR);
          parts.push(chunk.subarray(start, at));
          started = true;
        }
        pendingSeparator = started;
        start = at + 1;
        at = chunk.indexOf(10, start);
      }
      if (start < chunk.length) {
        if (pendingSeparator) parts.push(SEPARATOR);
        parts.push(chunk.subarray(start));
        pendingSeparator = false;
        started = true;
      }
      callback(null, parts.length === 1 ? parts[0] : Buffer.concat(parts));
    },
  });
}
