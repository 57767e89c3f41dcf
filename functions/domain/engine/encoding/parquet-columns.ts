import type { SchemaElement } from 'hyparquet-writer';
import { quoteIdent } from '../../catalogue/catalogue.js';
import { UnrepresentableValueError } from '../../errors.js';
import type { ColumnSpec } from '../export-source.js';

/** A value as hyparquet-writer takes it for one of the schema elements below. */
export type ParquetValue = bigint | boolean | Uint8Array | readonly (string | null)[];

/** Decodes one non-NULL field of a binary COPY row (see `BinaryCopyReader`). */
export type FieldReader = (buffer: Buffer, start: number, length: number) => ParquetValue;

/**
 * How one catalogue column travels from Postgres into a Parquet column: the expression the binary
 * COPY selects, the schema the file declares, and the decoder between the two. Postgres renders
 * what it renders exactly (numeric as its decimal text, jsonb as its text, timestamps as integer
 * microseconds), so no value passes through a float or a re-serialisation.
 */
export interface ParquetColumn {
  readonly name: string;
  /** The SELECT-list expression, over the source aliased `t`, whose binary form `read` decodes. */
  readonly select: string;
  /** The column's schema elements as the file's footer declares them (three for a LIST). */
  readonly fileSchema: readonly SchemaElement[];
  /** The elements the writer encodes with (differs from `fileSchema` only for JSON, see below). */
  readonly writeSchema: readonly SchemaElement[];
  /** Whether row groups carry min/max statistics (meaningless for JSON documents). */
  readonly statistics: boolean;
  readonly read: FieldReader;
}

/** Widest DECIMAL that DuckDB, Spark, Athena and Arrow all read; wider numerics are strings. */
export const MAX_DECIMAL_PRECISION = 38;

/** Postgres counts timestamps from 2000-01-01, Parquet from 1970-01-01 (both UTC, µs). */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000n;
/** Postgres stores `infinity` and `-infinity` as the extreme int64 values. */
const TIMESTAMP_INFINITY = 0x7fff_ffff_ffff_ffffn;
const TIMESTAMP_MINUS_INFINITY = -0x8000_0000_0000_0000n;

const OPTIONAL = 'OPTIONAL';
const STRING: SchemaElement = {
  name: '',
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  logical_type: { type: 'STRING' },
};

/** The Parquet mapping of a catalogue column (docs/formats.md "Parquet" lists the same table). */
export function parquetColumn(column: ColumnSpec): ParquetColumn {
  const name = column.name;
  const ref = `t.${quoteIdent(name)}`;
  const flat = (element: Omit<SchemaElement, 'name'>, select: string, read: FieldReader) => {
    const schema = [{ ...element, name, repetition_type: OPTIONAL } as SchemaElement];
    return { name, select, fileSchema: schema, writeSchema: schema, statistics: true, read };
  };
  switch (column.type) {
    case 'bigint':
      return flat({ type: 'INT64' }, `${ref}::int8`, fixedWidth(name, 8, readInt64));
    case 'boolean':
      return flat({ type: 'BOOLEAN' }, `${ref}::bool`, fixedWidth(name, 1, readBoolean));
    case 'timestamptz':
      return flat(
        {
          type: 'INT64',
          converted_type: 'TIMESTAMP_MICROS',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
        },
        `${ref}::timestamptz`,
        fixedWidth(name, 8, timestampReader(name)),
      );
    case 'numeric': {
      const { precision, scale = 0 } = column;
      if (precision === undefined || precision > MAX_DECIMAL_PRECISION)
        return flat(STRING, `${ref}::text`, readBytes);
      return flat(decimalElement(precision, scale), `${ref}::text`, decimalReader(name, precision, scale));
    }
    case 'char':
      // The cast keeps char(n)'s padding, as the text formats show it; `::text` would strip it.
      return flat(STRING, `${ref}::bpchar`, readBytes);
    case 'inet':
      // abbrev() is inet's output text ("192.0.2.1"), which `::text` is not ("192.0.2.1/32").
      return flat(STRING, `abbrev(${ref}::inet)`, readBytes);
    case 'uuid':
    case 'text':
      return flat(STRING, `${ref}::text`, readBytes);
    case 'jsonb': {
      // hyparquet-writer serialises the values of a converted_type JSON column itself
      // (JSON.stringify), so jsonb's text would have to be parsed first and 20-digit numbers would
      // be rounded. The writer gets the column as raw bytes under the JSON logical type only; the
      // footer also declares the converted type, which DuckDB needs to read the column as JSON.
      const writeSchema = [
        { name, type: 'BYTE_ARRAY', logical_type: { type: 'JSON' }, repetition_type: OPTIONAL },
      ] as SchemaElement[];
      const fileSchema = [{ ...writeSchema[0], converted_type: 'JSON' }] as SchemaElement[];
      return { name, select: `${ref}::text`, fileSchema, writeSchema, statistics: false, read: readBytes };
    }
    case 'text[]': {
      const schema: SchemaElement[] = [
        {
          name,
          repetition_type: OPTIONAL,
          converted_type: 'LIST',
          logical_type: { type: 'LIST' },
          num_children: 1,
        },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { ...STRING, name: 'element', repetition_type: OPTIONAL },
      ];
      return {
        name,
        select: `to_json(${ref})::text`,
        fileSchema: schema,
        writeSchema: schema,
        statistics: true,
        read: textArrayReader(name),
      };
    }
  }
}

/**
 * DECIMAL(p,s) on the smallest physical type the format allows: INT32 up to 9 digits, INT64 up to
 * 18, then a fixed-length two's-complement byte array.
 */
function decimalElement(precision: number, scale: number): Omit<SchemaElement, 'name'> {
  const decimal = {
    converted_type: 'DECIMAL',
    precision,
    scale,
    logical_type: { type: 'DECIMAL', precision, scale },
  } as const;
  if (precision <= 9) return { type: 'INT32', ...decimal };
  if (precision <= 18) return { type: 'INT64', ...decimal };
  return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: decimalBytes(precision), ...decimal };
}

/** Bytes of the smallest two's-complement integer holding every `precision`-digit number. */
export function decimalBytes(precision: number): number {
  const largest = 10n ** BigInt(precision) - 1n;
  let bytes = 1;
  while (2n ** BigInt(8 * bytes - 1) <= largest) bytes++;
  return bytes;
}

function fixedWidth(column: string, width: number, read: FieldReader): FieldReader {
  return (buffer, start, length) => {
    if (length !== width)
      throw new Error(`${column}: expected a ${width}-byte binary value, got ${length} bytes`);
    return read(buffer, start, length);
  };
}

const readInt64: FieldReader = (buffer, start) => buffer.readBigInt64BE(start);
const readBoolean: FieldReader = (buffer, start) => buffer[start] !== 0;
/** A view into the COPY chunk: text goes into the file as the very bytes Postgres sent. */
const readBytes: FieldReader = (buffer, start, length) => buffer.subarray(start, start + length);

function timestampReader(column: string): FieldReader {
  return (buffer, start) => {
    const micros = buffer.readBigInt64BE(start);
    if (micros === TIMESTAMP_INFINITY || micros === TIMESTAMP_MINUS_INFINITY)
      throw new UnrepresentableValueError(
        `${column}: ${micros > 0n ? 'infinity' : '-infinity'} has no Parquet TIMESTAMP value`,
      );
    return micros + POSTGRES_EPOCH_MICROS;
  };
}

/**
 * Reads numeric's decimal text (`-12.34`) as the unscaled integer DECIMAL(p,s) stores (`-1234n`).
 * Up to 15 digits the arithmetic is exact in a double, so the common case avoids BigInt parsing.
 */
function decimalReader(column: string, precision: number, scale: number): FieldReader {
  const notDecimal = (text: string) =>
    new UnrepresentableValueError(`${column}: ${text} is not a DECIMAL(${precision},${scale}) value`);
  if (precision > 15) {
    const pattern = /^-?\d+(?:\.(\d+))?$/;
    return (buffer, start, length) => {
      const text = buffer.toString('latin1', start, start + length);
      const match = pattern.exec(text);
      const fraction = match?.[1] ?? '';
      if (!match || fraction.length > scale) throw notDecimal(text);
      return BigInt(text.replace('.', '') + '0'.repeat(scale - fraction.length));
    };
  }
  return (buffer, start, length) => {
    const end = start + length;
    let at = start;
    const negative = buffer[at] === 0x2d;
    if (negative) at++;
    let value = 0;
    let digits = 0;
    let fraction = -1;
    for (; at < end; at++) {
      const byte = buffer[at]!;
      if (byte >= 0x30 && byte <= 0x39) {
        value = value * 10 + (byte - 0x30);
        digits++;
        if (fraction >= 0) fraction++;
      } else if (byte === 0x2e && fraction < 0) fraction = 0;
      else throw notDecimal(buffer.toString('latin1', start, end)); // NaN, Infinity
    }
    fraction = Math.max(fraction, 0);
    const unscaled = value * 10 ** (scale - fraction);
    if (digits === 0 || fraction > scale || !Number.isSafeInteger(unscaled))
      throw notDecimal(buffer.toString('latin1', start, end));
    return BigInt(negative ? -unscaled : unscaled);
  };
}

/** `to_json(text[])`: a JSON array of strings and nulls; anything else has no LIST<string> form. */
function textArrayReader(column: string): FieldReader {
  return (buffer, start, length) => {
    const values: unknown = JSON.parse(buffer.toString('utf8', start, start + length));
    if (!Array.isArray(values) || values.some((v) => v !== null && typeof v !== 'string'))
      throw new UnrepresentableValueError(`${column}: a multidimensional array has no LIST<string> form`);
    return values as (string | null)[];
  };
}
