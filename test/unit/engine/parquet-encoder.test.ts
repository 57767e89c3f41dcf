import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryCopyReader } from '../../../functions/domain/engine/encoding/copy-binary.js';
import { decimalBytes, parquetColumn } from '../../../functions/domain/engine/encoding/parquet-columns.js';
import {
  type ParquetFileOptions,
  parquetFile,
} from '../../../functions/domain/engine/encoding/parquet-file.js';
import type { ColumnSpec } from '../../../functions/domain/engine/export-source.js';
import { UnrepresentableValueError } from '../../../functions/domain/errors.js';
import { binaryCopy, bool, int8, splitAt, text, timestamptz } from '../../support/binary-copy.js';
import { readParquet } from '../../support/parquet.js';

/** Every field of every row the reader yields, as text (null for NULL). */
function readAll(chunks: readonly Buffer[], fieldCount: number): (string | null)[][] {
  const rows: (string | null)[][] = [];
  const reader = new BinaryCopyReader(fieldCount, (buffer, fields) => {
    const row: (string | null)[] = [];
    for (let i = 0; i < fieldCount; i++) {
      const length = fields[2 * i + 1]!;
      row.push(length < 0 ? null : buffer.toString('utf8', fields[2 * i]!, fields[2 * i]! + length));
    }
    rows.push(row);
  });
  for (const chunk of chunks) reader.write(chunk);
  reader.end();
  return rows;
}

async function encode(
  columns: readonly ColumnSpec[],
  chunks: readonly Buffer[],
  options: ParquetFileOptions = {},
): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    parquetFile(columns, options),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        parts.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(parts);
}

describe('BinaryCopyReader', () => {
  const rows = [
    ['1', 'Zoë 😀 日本語', null],
    ['2', '', 'x'.repeat(300)],
    ['3', null, 'line\nfeed\ttab\\'],
  ];
  const stream = binaryCopy(rows.map((row) => row.map((v) => (v === null ? null : text(v)))));

  it('yields every row, NULL apart from the empty string, however the stream is cut', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
        expect(readAll(splitAt(stream, cuts), 3)).toEqual(rows);
      }),
    );
  });

  it('reads a stream fed one byte at a time', () => {
    const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));

    expect(readAll(bytes, 3)).toEqual(rows);
  });

  it('joins a field that spans many chunks', () => {
    const big = 'é'.repeat(100_000);
    const copy = binaryCopy([[text(big)]]);

    expect(
      readAll(
        splitAt(
          copy,
          Array.from({ length: 400 }, (_, i) => i * 500),
        ),
        1,
      ),
    ).toEqual([[big]]);
  });

  it.each<[string, Buffer, number]>([
    ['another signature', Buffer.concat([Buffer.from('PGCOPZ'), stream.subarray(6)]), 3],
    ['rows with OIDs', binaryCopy([[text('a')]], 1 << 16), 1],
    ['rows with another field count', stream, 2],
    ['data after the trailer', Buffer.concat([stream, Buffer.from([0, 1])]), 3],
    ['a negative field length other than -1', binaryCopy([[Buffer.alloc(0)]]).fill(0xfe, 21, 25), 1],
  ])('refuses %s', (_label, bytes, fieldCount) => {
    expect(() => readAll([bytes], fieldCount)).toThrow(Error);
  });

  it('refuses a stream that ends before its trailer', () => {
    expect(() => readAll([stream.subarray(0, stream.length - 2)], 3)).toThrow(/before its trailer/);
  });
});

describe('parquetColumn', () => {
  it.each<[ColumnSpec, Record<string, unknown>]>([
    [{ name: 'c', type: 'bigint' }, { type: 'INT64' }],
    [{ name: 'c', type: 'boolean' }, { type: 'BOOLEAN' }],
    [
      { name: 'c', type: 'numeric', precision: 5, scale: 2 },
      { type: 'INT32', converted_type: 'DECIMAL', precision: 5, scale: 2 },
    ],
    [
      { name: 'c', type: 'numeric', precision: 12, scale: 2 },
      { type: 'INT64', converted_type: 'DECIMAL', precision: 12, scale: 2 },
    ],
    [
      { name: 'c', type: 'numeric', precision: 30, scale: 5 },
      { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 13, converted_type: 'DECIMAL', precision: 30, scale: 5 },
    ],
    [
      { name: 'c', type: 'numeric', precision: 39, scale: 0 },
      { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    ],
    [
      { name: 'c', type: 'numeric' },
      { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    ],
    [
      { name: 'c', type: 'timestamptz' },
      {
        type: 'INT64',
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
      },
    ],
    [
      { name: 'c', type: 'uuid' },
      { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    ],
    [
      { name: 'c', type: 'text' },
      { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    ],
    [
      { name: 'c', type: 'char', length: 3 },
      { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    ],
    [
      { name: 'c', type: 'inet' },
      { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
    ],
    [
      { name: 'c', type: 'jsonb' },
      { type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' } },
    ],
    [
      { name: 'c', type: 'text[]' },
      { converted_type: 'LIST', num_children: 1 },
    ],
  ])('declares %j as %j, nullable', (spec, element) => {
    const [declared] = parquetColumn(spec).fileSchema;

    expect(declared).toMatchObject({ ...element, name: 'c', repetition_type: 'OPTIONAL' });
  });

  it.each([
    [1, 1],
    [2, 1],
    [3, 2],
    [9, 4],
    [10, 5],
    [18, 8],
    [19, 9],
    [38, 16],
  ])('stores DECIMAL(%i) in %i bytes, the smallest two’s complement that fits', (precision, bytes) => {
    expect(decimalBytes(precision)).toBe(bytes);
  });

  const read = (spec: ColumnSpec, value: string | Buffer) => {
    const bytes = typeof value === 'string' ? text(value) : value;
    return parquetColumn(spec).read(bytes, 0, bytes.length);
  };
  const money = { name: 'amount', type: 'numeric', precision: 12, scale: 2 } as const;
  const wide = { name: 'wide', type: 'numeric', precision: 30, scale: 5 } as const;

  it.each<[ColumnSpec, string, bigint]>([
    [money, '-12.34', -1234n],
    [money, '0.00', 0n],
    [money, '-0.01', -1n],
    [money, '9999999999.99', 999999999999n],
    [money, '7', 700n],
    [money, '7.5', 750n],
    [wide, '1234567890123456789012345.67891', 123456789012345678901234567891n],
    [wide, '-0.5', -50000n],
  ])('reads %j text %s as the unscaled integer %s', (spec, value, unscaled) => {
    expect(read(spec, value)).toBe(unscaled);
  });

  it.each<[ColumnSpec, string]>([
    [money, 'NaN'],
    [money, 'Infinity'],
    [money, '1.234'],
    [wide, 'NaN'],
    [wide, '1.234567'],
  ])('refuses %j text %s, which the DECIMAL cannot hold exactly', (spec, value) => {
    expect(() => read(spec, value)).toThrow(UnrepresentableValueError);
  });

  it('reads timestamps as microseconds since the Unix epoch and refuses infinity', () => {
    const column = { name: 'at', type: 'timestamptz' } as const;

    expect(read(column, timestamptz('1969-12-31T23:59:59.999Z', 999n))).toBe(-1n);
    expect(read(column, int8(0n))).toBe(946_684_800_000_000n);
    expect(() => read(column, int8(0x7fff_ffff_ffff_ffffn))).toThrow(/at: infinity/);
    expect(() => read(column, int8(-0x8000_0000_0000_0000n))).toThrow(/at: -infinity/);
  });

  it('reads text[] with NULL elements and refuses a multidimensional array', () => {
    const column = { name: 'tags', type: 'text[]' } as const;

    expect(read(column, '["a",null,""]')).toEqual(['a', null, '']);
    expect(() => read(column, '[["a"]]')).toThrow(UnrepresentableValueError);
  });
});

describe('parquetFile', () => {
  const columns: ColumnSpec[] = [
    { name: 'id', type: 'bigint' },
    { name: 'amount', type: 'numeric', precision: 12, scale: 2 },
    { name: 'wide', type: 'numeric', precision: 30, scale: 5 },
    { name: 'loose', type: 'numeric' },
    { name: 'code', type: 'char', length: 3 },
    { name: 'note', type: 'text' },
    { name: 'tags', type: 'text[]' },
    { name: 'doc', type: 'jsonb' },
    { name: 'at', type: 'timestamptz' },
    { name: 'flag', type: 'boolean' },
  ];
  const doc = '{"big": 12345678901234567890.5, "small": 0.000001, "emoji": "😀"}';
  const rows = [
    [
      int8(1n),
      text('-12.34'),
      text('1234567890123456789012345.67891'),
      text('NaN'),
      text('EU '),
      text('Zoë 😀'),
      text('["a",null,""]'),
      text(doc),
      timestamptz('2021-03-28T00:59:59.999Z', 999n),
      bool(true),
    ],
    [int8(-9_223_372_036_854_775_808n), null, null, null, null, text(''), text('[]'), null, null, null],
    [
      int8(3n),
      text('0.00'),
      text('-0.00001'),
      text('1e-20'),
      text('abc'),
      null,
      null,
      text('null'),
      null,
      bool(false),
    ],
  ];

  it('writes every type so that an independent reader gets the exact values back', async () => {
    const file = await encode(columns, [binaryCopy(rows)]);

    const read = await readParquet(file);

    expect(read.types).toEqual({
      id: 'BIGINT',
      amount: 'DECIMAL(12,2)',
      wide: 'DECIMAL(30,5)',
      loose: 'VARCHAR',
      code: 'VARCHAR',
      note: 'VARCHAR',
      tags: 'VARCHAR[]',
      doc: 'JSON',
      at: 'TIMESTAMP WITH TIME ZONE',
      flag: 'BOOLEAN',
    });
    expect(read.rows).toEqual([
      {
        id: '1',
        amount: '-12.34',
        wide: '1234567890123456789012345.67891',
        loose: 'NaN',
        code: 'EU ',
        note: 'Zoë 😀',
        tags: ['a', null, ''],
        doc,
        at: String(Date.parse('2021-03-28T00:59:59.999Z') * 1000 + 999),
        flag: true,
      },
      {
        id: '-9223372036854775808',
        amount: null,
        wide: null,
        loose: null,
        code: null,
        note: '',
        tags: [],
        doc: null,
        at: null,
        flag: null,
      },
      {
        id: '3',
        amount: '0.00',
        wide: '-0.00001',
        loose: '1e-20',
        code: 'abc',
        note: null,
        tags: null,
        doc: 'null',
        at: null,
        flag: false,
      },
    ]);
  });

  it('closes a row group at the row limit and at the byte limit, whichever comes first', async () => {
    // 48 bytes of field data a row: 8 for the id, 40 for the note.
    const many = Array.from({ length: 7 }, (_, i) => [int8(BigInt(i)), text('x'.repeat(40))]);
    const narrow: ColumnSpec[] = [
      { name: 'id', type: 'bigint' },
      { name: 'note', type: 'text' },
    ];

    const byRows = await readParquet(await encode(narrow, [binaryCopy(many)], { rowGroup: { rows: 3 } }));
    const byBytes = await readParquet(await encode(narrow, [binaryCopy(many)], { rowGroup: { bytes: 90 } }));

    expect(byRows.rowGroups).toEqual([3, 3, 1]);
    expect(byBytes.rowGroups).toEqual([2, 2, 2, 1]);
    expect(byBytes.rows.map((row) => row.id)).toEqual(['0', '1', '2', '3', '4', '5', '6']);
  });

  it('writes a file with the whole schema and no row group when there are no rows', async () => {
    const read = await readParquet(await encode(columns, [binaryCopy([])]));

    expect(read.rows).toEqual([]);
    expect(read.rowGroups).toEqual([]);
    expect(Object.keys(read.types)).toEqual(columns.map((c) => c.name));
  });

  it('reports the rows it reads and puts the metadata in the footer', async () => {
    let reported = 0;

    const file = await encode(columns, splitAt(binaryCopy(rows), [30, 90, 200]), {
      metadata: { exported_at: '2024-05-01T00:00:00.000Z' },
      onRows: (n) => {
        reported += n;
      },
    });

    expect(reported).toBe(rows.length);
    expect((await readParquet(file)).keyValues).toMatchObject({ exported_at: '2024-05-01T00:00:00.000Z' });
  });

  it('fails naming the source and column of a value the file cannot hold', async () => {
    const amount: ColumnSpec[] = [{ name: 'amount', type: 'numeric', precision: 12, scale: 2 }];

    const writing = encode(amount, [binaryCopy([[text('1.00')], [text('NaN')]])], {
      sourceName: 'transactions',
    });

    await expect(writing).rejects.toThrow(UnrepresentableValueError);
    await expect(writing).rejects.toThrow('transactions.amount: NaN is not a DECIMAL(12,2) value');
  });

  it('fails on a COPY stream cut short instead of writing a file without its last rows', async () => {
    const whole = binaryCopy(rows);

    await expect(encode(columns, [whole.subarray(0, whole.length - 2)])).rejects.toThrow(/trailer/);
  });
});
