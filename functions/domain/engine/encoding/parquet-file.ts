import { Transform } from 'node:stream';
import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import { snappyCompressor } from 'hysnappy';
import { UnrepresentableValueError } from '../../errors.js';
import type { ColumnSpec } from '../export-source.js';
import { BinaryCopyReader } from './copy-binary.js';
import { type ParquetValue, parquetColumn } from './parquet-columns.js';

/** Row group bounds: whichever is reached first closes the group. */
export interface RowGroupLimits {
  /** @default 32768 */
  readonly rows?: number;
  /** Bytes of field data as Postgres sent them (before encoding and compression). @default 16 MiB */
  readonly bytes?: number;
}

export interface ParquetFileOptions {
  /** Names the source in error messages (`transactions.amount: …`). */
  readonly sourceName?: string;
  /** Key-value metadata for the file's footer. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly rowGroup?: RowGroupLimits;
  /** Rows read so far, reported after each input chunk. */
  readonly onRows?: (rows: number) => void;
}

type RowGroup = ParquetWriter['row_groups'][number];

const DEFAULT_ROW_GROUP_ROWS = 32_768;
const DEFAULT_ROW_GROUP_BYTES = 16 * 1024 * 1024;
/** Encoded bytes the writer holds before handing them on. */
const OUTPUT_CHUNK_BYTES = 1024 * 1024;

/**
 * The Parquet encoder: turns one source's binary COPY stream (`parquetCopy`) into one Parquet
 * file, SNAPPY-compressed, with the types of `columns` (see `parquetColumn`). Rows are buffered
 * only up to one row group, which is then encoded and pushed on, so memory is bounded by the row
 * group limits whatever the row count; the footer follows the last row group.
 */
export function parquetFile(columns: readonly ColumnSpec[], options: ParquetFileOptions = {}): Transform {
  const plan = columns.map(parquetColumn);
  const root = (elements: (c: (typeof plan)[number]) => readonly SchemaElement[]): SchemaElement[] => [
    { name: 'root', num_children: plan.length },
    ...plan.flatMap(elements),
  ];
  const maxRows = options.rowGroup?.rows ?? DEFAULT_ROW_GROUP_ROWS;
  const maxBytes = options.rowGroup?.bytes ?? DEFAULT_ROW_GROUP_BYTES;

  let output: Transform | undefined;
  const writer = new StreamingWriter((bytes) => output?.push(bytes));
  const parquet = new ParquetWriter({
    writer,
    schema: root((c) => c.writeSchema),
    codec: 'SNAPPY',
    compressors: { SNAPPY: snappyCompressor() },
    kvMetadata: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });

  let batch: ParquetValue[][] = plan.map(() => []);
  let batchRows = 0;
  let batchBytes = 0;
  const writeRowGroup = () => {
    if (batchRows === 0) return;
    const columnData = plan.map((c, i) => ({ name: c.name, data: batch[i]!, statistics: c.statistics }));
    batch = plan.map(() => []);
    const rows = batchRows;
    batchRows = 0;
    batchBytes = 0;
    parquet.write({ columnData, rowGroupSize: rows });
    detachStatistics(parquet.row_groups.at(-1));
  };

  let rowsRead = 0;
  const reader = new BinaryCopyReader(plan.length, (buffer, fields) => {
    for (let i = 0; i < plan.length; i++) {
      const length = fields[2 * i + 1]!;
      const values = batch[i] as (ParquetValue | null)[];
      if (length < 0) values.push(null);
      else {
        values.push(plan[i]!.read(buffer, fields[2 * i]!, length));
        batchBytes += length;
      }
    }
    batchRows++;
    rowsRead++;
    if (batchRows >= maxRows || batchBytes >= maxBytes) writeRowGroup();
  });
  const named = (error: unknown) =>
    error instanceof UnrepresentableValueError && options.sourceName
      ? new UnrepresentableValueError(`${options.sourceName}.${error.message}`)
      : error;

  output = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const before = rowsRead;
      try {
        reader.write(chunk);
      } catch (error) {
        callback(named(error) as Error);
        return;
      }
      if (rowsRead > before) options.onRows?.(rowsRead - before);
      callback();
    },
    flush(callback) {
      try {
        reader.end();
        writeRowGroup();
        // The row groups were encoded with the write schema; the footer declares the file schema,
        // which adds the converted type JSON that the writer must not see (see `parquetColumn`).
        parquet.schema = root((c) => c.fileSchema);
        parquet.finish();
        callback();
      } catch (error) {
        callback(named(error) as Error);
      }
    },
  });
  return output;
}

/**
 * The writer keeps each row group's min and max values until it writes the footer. Text values are
 * views into the 64 KiB COPY chunks they were read from, so without a copy every row group would
 * keep a few whole chunks alive to the end of the file and memory would grow with the row count.
 */
function detachStatistics(rowGroup: RowGroup | undefined): void {
  for (const column of rowGroup?.columns ?? []) {
    const statistics = column.meta_data?.statistics;
    if (!statistics) continue;
    for (const key of ['min_value', 'max_value', 'min', 'max'] as const) {
      const value = statistics[key];
      if (value instanceof Uint8Array) statistics[key] = new Uint8Array(value);
    }
  }
}

/**
 * hyparquet-writer's `ByteWriter` that hands its bytes on instead of growing one buffer for the
 * whole file: every row group ends with `flush()`, and a large row group is passed on in
 * `OUTPUT_CHUNK_BYTES` pieces (the writer never reads back what it wrote, so earlier bytes can go).
 */
class StreamingWriter extends ByteWriter {
  constructor(private readonly emit: (bytes: Buffer) => void) {
    super(OUTPUT_CHUNK_BYTES);
  }

  override ensure(size: number): void {
    if (this.index >= OUTPUT_CHUNK_BYTES) this.flush();
    super.ensure(size);
  }

  /** Called by `ParquetWriter` after each row group, and here once a chunk is full. */
  flush(): void {
    if (this.index === 0) return;
    this.emit(Buffer.from(this.buffer.slice(0, this.index)));
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}
