import { Transform } from 'node:stream';

/** Passes bytes through, reporting how many `\n` each chunk held (rows, for one-line-per-row output). */
export function lineCounter(onLines: (lines: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      let lines = 0;
      let at = chunk.indexOf(10);
      while (at !== -1) {
        lines++;
        at = chunk.indexOf(10, at + 1);
      }
      if (lines) onLines(lines);
      callback(null, chunk);
    },
  });
}
