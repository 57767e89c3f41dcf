import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { attachmentDisposition } from '../../../functions/domain/engine/content-disposition.js';
import { coalesce } from '../../../functions/domain/engine/encoding/coalesce.js';
import { jsonArrayBody } from '../../../functions/domain/engine/encoding/json-rows.js';
import { xmlRows, xmlText } from '../../../functions/domain/engine/encoding/xml-rows.js';

async function through(chunks: (string | Buffer)[], ...stages: NodeJS.ReadWriteStream[]): Promise<string> {
  const source = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  let out = '';
  await pipeline(source, ...(stages as []), async (input: AsyncIterable<Buffer>) => {
    out = await text(input);
  });
  return out;
}

describe('coalesce', () => {
  it('joins small chunks into buffers of at least the given size without changing the bytes', async () => {
    const sizes: number[] = [];
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.from(`row ${i}\n`));

    const out = await through(
      chunks,
      coalesce(64),
      new (await import('node:stream')).Transform({
        transform(chunk: Buffer, _e, cb) {
          sizes.push(chunk.length);
          cb(null, chunk);
        },
      }),
    );

    expect(out).toBe(Buffer.concat(chunks).toString());
    expect(sizes.slice(0, -1).every((s) => s >= 64)).toBe(true);
  });

  it('reports the rows (chunks) in each buffer it passes on, before that buffer, the rest at the end', async () => {
    // Arrange: 23 rows, one with a line break inside, of 8 to 11 bytes
    const chunks = Array.from({ length: 23 }, (_, i) => Buffer.from(i === 5 ? '5,"a\nb"\n' : `row ${i}\n`));
    const seen: string[] = [];

    // Act
    await through(
      chunks,
      coalesce(40, (n) => seen.push(`rows ${n}`)),
      new (await import('node:stream')).Transform({
        transform(chunk: Buffer, _e, cb) {
          seen.push(`bytes ${chunk.length}`);
          cb(null, chunk);
        },
      }),
    );

    // Assert
    const rows = seen.filter((s) => s.startsWith('rows ')).map((s) => Number(s.slice(5)));
    expect(rows.reduce((a, b) => a + b, 0)).toBe(23);
    expect(rows.length).toBeGreaterThan(3);
    expect(seen[0]).toMatch(/^rows /);
    expect(seen.every((s, i) => s.startsWith(i % 2 === 0 ? 'rows ' : 'bytes '))).toBe(true);
  });
});

describe('jsonArrayBody', () => {
  it.each([
    [['{"a":1}\n{"a":2}\n{"a":3}\n'], '{"a":1},\n{"a":2},\n{"a":3}'],
    [['{"a":', '1}\n{"a"', ':2}\n'], '{"a":1},\n{"a":2}'],
    [['{"a":1}\n', '{"a":2}', '\n'], '{"a":1},\n{"a":2}'],
    [['{"a":1}\n'], '{"a":1}'],
    [[''], ''],
  ])('turns newline-terminated rows %j into an array body', async (chunks, expected) => {
    const body = await through(chunks, jsonArrayBody());

    expect(body).toBe(expected);
    expect(JSON.parse(`[${body}]`)).toHaveLength(expected === '' ? 0 : expected.split(',\n').length);
  });

  it('handles a multi-byte character split across chunks', async () => {
    const row = Buffer.from('{"t":"日本"}\n');

    const body = await through([row.subarray(0, 8), row.subarray(8)], jsonArrayBody());

    expect(JSON.parse(body)).toEqual({ t: '日本' });
  });
});

describe('xmlText', () => {
  it('escapes markup and keeps CR as a character reference', () => {
    expect(xmlText('a<b>&c\r\n')).toBe('a&lt;b&gt;&amp;c&#13;\n');
  });

  it('replaces characters XML 1.0 cannot carry with U+FFFD and keeps astral characters', () => {
    expect(xmlText('x\u0001y\u001Fz\uFFFE 😀 \uD800')).toBe('x\uFFFDy\uFFFDz\uFFFD 😀 \uFFFD');
  });

  it('returns text without markup characters unchanged', () => {
    expect(xmlText('Zoë "quoted" \'single\'\ttab\n')).toBe('Zoë "quoted" \'single\'\ttab\n');
  });

  it('escapes the > of ]]> so the sequence never appears in character data', () => {
    expect(xmlText('a]]>b')).toBe('a]]&gt;b');
  });
});

describe('xmlRows', () => {
  it('writes one element per row, one child per column and xsi:nil for NULL, even with lines split across chunks', async () => {
    const lines = '["1","a<b",null]\n["2","\\u0001]]>\\r",""]\n';
    let rows = 0;

    const xml = await through(
      [lines.slice(0, 10), lines.slice(10)],
      xmlRows(['id', 'name', 'note'], 'row', (n) => (rows += n)),
    );

    const doc = `<root xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">${xml}</root>`;
    expect(XMLValidator.validate(doc)).toBe(true);
    const parsed = new XMLParser({
      ignoreAttributes: false,
      parseTagValue: false,
      trimValues: false,
      htmlEntities: true,
    }).parse(doc);
    expect(parsed.root.row).toEqual([
      { id: '1', name: 'a<b', note: { '@_xsi:nil': 'true' } },
      { id: '2', name: '\uFFFD]]>\r', note: '' },
    ]);
    expect(rows).toBe(2);
  });
});

describe('attachmentDisposition', () => {
  it('gives an ASCII fallback and the exact UTF-8 name', () => {
    expect(attachmentDisposition('résumé "1".csv')).toBe(
      `attachment; filename="r_sum_ _1_.csv"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%221%22.csv`,
    );
  });
});
