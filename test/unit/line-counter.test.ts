import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvRecordCounter } from '../../functions/domain/encoding/line-counter.js';

/** Records the counter reports for `text` cut into pieces of `size` bytes. */
async function counted(text: string, size: number): Promise<number> {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) pieces.push(bytes.subarray(at, at + size));
  let records = 0;
  await pipeline(
    Readable.from(pieces),
    csvRecordCounter((n) => (records += n)),
    async (source) => {
      for await (const _ of source);
    },
  );
  return records;
}

describe('csvRecordCounter', () => {
  const csv = [
    'id,note,meta\n',
    '1,plain,"{""ok"": true}"\n',
    '2,"two\nlines","say ""hi""\nthere"\n',
    '3,"",""\n',
    '4,"a,b",x\n',
  ].join('');

  it.each([1, 2, 3, 7, 64])(
    'counts records, not line breaks, with the text cut every %i bytes',
    async (size) => {
      // The independent oracle: csv-parse's record count.
      const oracle = (parse(csv) as unknown[]).length;

      expect(await counted(csv, size)).toBe(oracle);
      expect(oracle).toBe(5);
    },
  );
});
