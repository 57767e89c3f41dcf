import type { Transform } from 'node:stream';
import { csvCopy, jsonLinesCopy, parquetCopy, xmlValuesCopy } from './encoding/copy-statements.js';
import { jsonArrayBody } from './encoding/json-rows.js';
import { parquetFile } from './encoding/parquet-file.js';
import { xmlAttribute, xmlRows } from './encoding/xml-rows.js';
import type { ExportFormat } from './export-format.js';
import type { ExportSource } from './export-source.js';

/** A source as a document holds it; a `single` section (the user profile) is one object, not a list. */
export interface EncodedSection extends ExportSource {
  readonly single?: boolean;
}

/** What the document around the sections says of itself. */
export interface DocumentInfo {
  /** The export's `asOf`, written into JSON and XML documents and Parquet metadata. */
  readonly exportedAt: string;
  /** Root element of XML documents. @default 'export' */
  readonly rootElement?: string;
}

/** How one COPY of a section becomes the format's bytes. */
export interface CopyEncoding {
  /** The `COPY … TO STDOUT` statement. */
  readonly statement: string;
  /** Streams that turn the COPY's output into the format. */
  readonly stages: Transform[];
  /**
   * True when the COPY's messages are the rows as written (Postgres sends one per row), so the
   * writer counts them as they pass; false when a stage counts them (it was given `onRows`).
   */
  readonly countCopyRows: boolean;
}

export interface EncodeOptions {
  readonly formulaGuard: boolean;
  /** Rows of this section were written before this COPY (a chunk's next slice). */
  readonly continued: boolean;
  /** Told of rows a stage counted (formats whose COPY messages are not the rows). */
  readonly onRows: (rows: number) => void;
  readonly document: DocumentInfo;
}

/**
 * One export format, for both writers: the single-object engine (`runExport`, several sections
 * per document or a zip of one file each) and the chunk writer (one section, read in slices of its
 * key range). A document is `documentStart`, then per section `sectionStart`, its COPYs encoded by
 * `encode`, `sectionEnd`, and finally `documentEnd`. Text formats only add text around the rows;
 * Parquet's one stage writes the whole file.
 */
export interface FormatCodec {
  readonly format: ExportFormat;
  /**
   * Whether one file may be written by several COPYs, one after the other (a chunk's slices) and
   * across invocations. Not Parquet: its footer describes every row group of the file.
   */
  readonly continuable: boolean;
  documentStart(document: DocumentInfo): string;
  /** What precedes a section's rows; `index` is its position in the document (0 for the first). */
  sectionStart(section: EncodedSection, index: number): string;
  encode(source: EncodedSection, options: EncodeOptions): CopyEncoding;
  /** What follows a section's rows, given how many it had. */
  sectionEnd(section: EncodedSection, rows: number): string;
  documentEnd(document: DocumentInfo): string;
}

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const root = (document: DocumentInfo) => document.rootElement ?? 'export';

const csv: FormatCodec = {
  format: 'csv',
  continuable: true,
  documentStart: () => '',
  // The header is written here, once per file, rather than by COPY, so a file read in several
  // COPYs has one. Catalogue column names are plain identifiers, which COPY's header never quotes.
  sectionStart: (section) => `${section.columns.map((c) => c.name).join(',')}\n`,
  encode: (source, options) => ({
    statement: csvCopy(source, options.formulaGuard, false),
    stages: [],
    countCopyRows: true,
  }),
  sectionEnd: () => '',
  documentEnd: () => '',
};

const ndjson: FormatCodec = {
  format: 'ndjson',
  continuable: true,
  documentStart: () => '',
  sectionStart: () => '',
  encode: (source) => ({ statement: jsonLinesCopy(source), stages: [], countCopyRows: true }),
  sectionEnd: () => '',
  documentEnd: () => '',
};

const json: FormatCodec = {
  format: 'json',
  continuable: true,
  documentStart: () => '{',
  sectionStart: (section, index) =>
    `${index > 0 ? ',\n' : ''}${JSON.stringify(section.name)}:${section.single ? '' : '[\n'}`,
  encode: (source, options) => ({
    statement: jsonLinesCopy(source),
    stages: [jsonArrayBody(options.continued)],
    countCopyRows: true,
  }),
  // A single section without its row (no profile) is null, not nothing.
  sectionEnd: (section, rows) => (section.single ? (rows === 0 ? 'null' : '') : '\n]'),
  documentEnd: (document) => `,\n"exportedAt":${JSON.stringify(document.exportedAt)}}\n`,
};

const xml: FormatCodec = {
  format: 'xml',
  continuable: true,
  documentStart: (document) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<${root(document)} xmlns:xsi="${XSI}" exportedAt="${xmlAttribute(document.exportedAt)}">\n`,
  sectionStart: (section) => `<${section.name}>${section.single ? '' : '\n'}`,
  encode: (source, options) => ({
    statement: xmlValuesCopy(source),
    stages: [
      xmlRows(
        source.columns.map((c) => c.name),
        source.single ? null : 'row',
        options.onRows,
      ),
    ],
    countCopyRows: false,
  }),
  sectionEnd: (section) => `</${section.name}>\n`,
  documentEnd: (document) => `</${root(document)}>\n`,
};

const parquet: FormatCodec = {
  format: 'parquet',
  continuable: false,
  documentStart: () => '',
  sectionStart: () => '',
  encode: (source, options) => ({
    statement: parquetCopy(source),
    stages: [
      parquetFile(source.columns, {
        sourceName: source.name,
        metadata: { exported_at: options.document.exportedAt },
        onRows: options.onRows,
      }),
    ],
    countCopyRows: false,
  }),
  sectionEnd: () => '',
  documentEnd: () => '',
};

const CODECS: Readonly<Record<ExportFormat, FormatCodec>> = { csv, ndjson, json, xml, parquet };

/** The codec of `format`. */
export function codecFor(format: ExportFormat): FormatCodec {
  return CODECS[format];
}
