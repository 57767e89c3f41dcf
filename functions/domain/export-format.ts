export const EXPORT_FORMATS = ['json', 'ndjson', 'csv', 'xml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const COMPRESSIONS = ['none', 'gzip'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
};

/** How the sources of one export are laid out in the object (DESIGN §7). */
export type ObjectLayout =
  /** One file of one source (or a JSON/XML document of several). */
  | 'single'
  /** A zip of one file per source: CSV and NDJSON of several sources. */
  | 'zip';

export function layoutFor(format: ExportFormat, sourceCount: number): ObjectLayout {
  return (format === 'csv' || format === 'ndjson') && sourceCount > 1 ? 'zip' : 'single';
}

export interface ObjectType {
  readonly extension: string;
  readonly contentType: string;
  readonly contentEncoding?: string;
}

/**
 * File extension and HTTP content type of an export object. Zips deflate their entries, so gzip on
 * top of a zip would only cost CPU: a zip is never gzipped again (documented in the README).
 */
export function objectTypeFor(
  format: ExportFormat,
  compression: Compression,
  layout: ObjectLayout,
): ObjectType {
  if (layout === 'zip') return { extension: 'zip', contentType: 'application/zip' };
  if (compression === 'gzip') return { extension: `${format}.gz`, contentType: 'application/gzip' };
  return { extension: format, contentType: CONTENT_TYPES[format] };
}

export function entryContentType(format: ExportFormat): string {
  return CONTENT_TYPES[format];
}
