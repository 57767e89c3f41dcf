/** Formats of user exports: documents a person can open (docs/architecture.md). */
export const USER_EXPORT_FORMATS = ['json', 'ndjson', 'csv', 'xml'] as const;
export type UserExportFormat = (typeof USER_EXPORT_FORMATS)[number];

/** Every format; Parquet is for bulk and scheduled exports, read by analytics tools. */
export const EXPORT_FORMATS = [...USER_EXPORT_FORMATS, 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

/**
 * Why `compression` cannot apply to `format`, or undefined when it can. Parquet compresses each
 * page inside the file (SNAPPY), and readers open a Parquet file by seeking to its footer, which a
 * gzip stream around it would prevent.
 */
export function compressionProblem(format: ExportFormat, compression: Compression): string | undefined {
  return format === 'parquet' && compression !== 'none'
    ? 'parquet files compress their pages themselves (SNAPPY); use compression "none"'
    : undefined;
}

/** How the sources of one export are laid out in the object (docs/formats.md). */
export type ObjectLayout =
  /** One file of one source (or a JSON/XML document of several). */
  | 'single'
  /** A zip of one file per source: CSV, NDJSON and Parquet of several sources. */
  | 'zip';

export function layoutFor(format: ExportFormat, sourceCount: number): ObjectLayout {
  return format !== 'json' && format !== 'xml' && sourceCount > 1 ? 'zip' : 'single';
}

/**
 * Whether a zip should deflate this format's entries: a Parquet file is already compressed, so
 * deflating it again would cost CPU for nothing.
 */
export function deflatesInZip(format: ExportFormat): boolean {
  return format !== 'parquet';
}

export interface ObjectType {
  readonly extension: string;
  readonly contentType: string;
  readonly contentEncoding?: string;
}

/**
 * File extension and HTTP content type of an export object. Zips deflate their entries, so gzip on
 * top of a zip would only cost CPU: a zip is never gzipped again (docs/formats.md).
 */
export function objectTypeFor(
  format: ExportFormat,
  compression: Compression,
  layout: ObjectLayout,
): ObjectType {
  if (layout === 'zip') return { extension: 'zip', contentType: 'application/zip' };
  const problem = compressionProblem(format, compression);
  if (problem) throw new RangeError(problem);
  if (compression === 'gzip') return { extension: `${format}.gz`, contentType: 'application/gzip' };
  return { extension: format, contentType: CONTENT_TYPES[format] };
}
