import type { CatalogueTable } from '../../catalogue/catalogue.js';
import { primaryKeyType } from '../../catalogue/table-source.js';
import { MULTIPART_LIMITS } from '../../engine/multipart-uploads.js';
import type { KeyStats } from '../../engine/ports.js';
import { API_EXPORT_PREFIX } from '../../jobs/export-job.js';
import type { PlannedChunk } from './export-chunks.js';

/** Rows per slice of a chunk: each slice is one COPY, and a part can only end where a slice does. */
export const SLICE_ROWS = 20_000;

/** What planning knows of one table of a job, read without a pass over its data. */
export interface TableEstimate {
  readonly table: CatalogueTable;
  /** The planner's row estimate for the job's (filtered) query of the table. */
  readonly rows: number;
  readonly keys: KeyStats;
}

/** True when a job of these tables should be split into chunks rather than written as one object. */
export function needsChunks(tables: readonly TableEstimate[], chunkRows: number): boolean {
  return tables.some((t) => t.rows > chunkRows);
}

/**
 * Splits each table into primary-key ranges of about `chunkRows` rows (docs/chunked-exports.md). The last range
 * of a table ends at its maximum key at planning time, so rows inserted later (with higher keys)
 * never appear. Boundaries come from the planner's histogram of the key when there is one (equal
 * row counts), otherwise from equal widths of an integer key; a key that is neither (a uuid before
 * the table was analysed) leaves the table one chunk.
 */
export function planChunks(tables: readonly TableEstimate[], chunkRows: number): PlannedChunk[] {
  const chunks: PlannedChunk[] = [];
  for (const estimate of tables) {
    const { table, keys } = estimate;
    const wanted = Math.max(1, Math.ceil(estimate.rows / chunkRows));
    const bounds = keys.max === null ? [] : boundaries(estimate, wanted);
    // Ranges (null, b1], (b1, b2], …, (bn, max]; an empty table is one range ending nowhere.
    const ends = keys.max === null ? [null] : [...bounds, keys.max];
    const perChunk = Math.ceil(estimate.rows / ends.length);
    let from: string | null = null;
    ends.forEach((to, i) => {
      chunks.push({
        ordinal: chunks.length + 1,
        table: table.name,
        part: i + 1,
        keyFrom: from,
        keyTo: to,
        rowsEstimate: perChunk,
      });
      from = to;
    });
  }
  return chunks;
}

/** Up to `wanted - 1` increasing keys strictly between the table's minimum and maximum. */
function boundaries(estimate: TableEstimate, wanted: number): string[] {
  if (wanted <= 1) return [];
  const { keys, table } = estimate;
  const type = primaryKeyType(table);
  const compare = type === 'bigint' ? (a: string, b: string) => Number(BigInt(a) - BigInt(b)) : undefined;
  let picked: string[] = [];
  if (keys.histogram.length > wanted) {
    const h = keys.histogram;
    for (let i = 1; i < wanted; i++) picked.push(h[Math.round((i * (h.length - 1)) / wanted)]!);
  } else if (type === 'bigint' && keys.min !== null && keys.max !== null) {
    const min = BigInt(keys.min);
    const span = BigInt(keys.max) - min;
    for (let i = 1; i < wanted; i++) picked.push(String(min + (span * BigInt(i)) / BigInt(wanted)));
  }
  if (compare && keys.max !== null) {
    const max = keys.max;
    picked = picked.filter((k) => compare(k, max) < 0);
    picked = picked.filter((k, i) => i === 0 || compare(k, picked[i - 1]!) > 0);
  } else if (type !== 'bigint') {
    // Histogram bounds of other key types are already sorted by the column's own order.
    picked = picked.filter((k, i) => k !== keys.max && (i === 0 || k !== picked[i - 1]));
  }
  return picked;
}

/** A generous bound on one row's size in any format, for sizing parts before any row was read. */
const ROW_BYTES_BOUND = 1024;
const MIB = 1024 * 1024;

/**
 * The size of part `partNumber` of a file expected to hold `rowsEstimate` rows: large enough that
 * the estimate fits in half of S3's 10,000 parts, at least S3's 5 MiB, and doubling every
 * 2,000 parts, so that even a file far above its estimate never runs out of part numbers.
 */
export function partSizeFor(rowsEstimate: number, partNumber: number): number {
  const base = Math.max(
    MULTIPART_LIMITS.minPartBytes,
    Math.ceil((rowsEstimate * ROW_BYTES_BOUND) / (MULTIPART_LIMITS.maxParts / 2) / MIB) * MIB,
  );
  return base * 2 ** Math.floor((partNumber - 1) / 2_000);
}

/** The key of a chunk's file: `exports/{jobId}/{table}/part-00001.{ext}`. */
export function chunkFileName(table: string, part: number, extension: string): string {
  return `${table}/part-${String(part).padStart(5, '0')}.${extension}`;
}

/** Where a chunked job's files and manifest live. */
export const chunkedJobFolder = (jobId: string) => `${API_EXPORT_PREFIX}${jobId}`;

/** The key of a chunked job's manifest. */
export const manifestKey = (jobId: string) => `${chunkedJobFolder(jobId)}/manifest.json`;
