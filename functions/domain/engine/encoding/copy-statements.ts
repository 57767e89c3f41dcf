import { quoteIdent } from '../../catalogue/catalogue.js';
import { type ExportSource, isTextColumn } from '../export-source.js';
import { parquetColumn } from './parquet-columns.js';

/**
 * COPY statements that make Postgres do the per-value work (text output, CSV quoting, JSON
 * rendering) in C. The JSON and XML variants use CSV mode with quote and delimiter bytes (0x01,
 * 0x02) that JSON text never contains raw, so each row arrives verbatim, one per line, with no
 * COPY escaping to undo.
 */
const RAW_LINES = "WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')";

/**
 * Cells that a spreadsheet would run as a formula (OWASP CSV injection): a formula character,
 * ASCII or full-width (`= + - @ ＝ ＋ － ＠`), after any leading whitespace (spreadsheets trim
 * it, line breaks included), or a leading tab or CR. A Postgres ARE, so the check runs in the
 * database with the rest of the CSV rendering.
 */
const FORMULA_PATTERN = String.raw`'^[ \t\n\r\v\f\u00a0\u3000]*[=+@\uff1d\uff0b\uff0d\uff20-]'`;
const FORMULA_LEAD = '(chr(9), chr(13))';

/**
 * `COPY (query) TO STDOUT WITH CSV HEADER` (without the header row for the continuation of a
 * file). With `formulaGuard`, formula-like text cells (see
 * `FORMULA_PATTERN`) get a leading `'`; other types (numbers, timestamps, json) are left exact.
 */
export function csvCopy(source: ExportSource, formulaGuard: boolean, header = true): string {
  const query = formulaGuard
    ? `SELECT ${source.columns
        .map((c) => {
          const col = `t.${quoteIdent(c.name)}`;
          return isTextColumn(c)
            ? `CASE WHEN ${col} ~ ${FORMULA_PATTERN} OR left(${col}, 1) IN ${FORMULA_LEAD} THEN '''' || ${col} ELSE ${col} END AS ${quoteIdent(c.name)}`
            : col;
        })
        .join(', ')} FROM (${source.sql}) t`
    : source.sql;
  return `COPY (${query}) TO STDOUT WITH (FORMAT csv, HEADER ${header})`;
}

/** One `row_to_json` object per line: exact numerics, nested jsonb, ISO timestamps, null for NULL. */
export function jsonLinesCopy(source: ExportSource): string {
  return `COPY (SELECT row_to_json(t) FROM (${source.sql}) t) TO STDOUT ${RAW_LINES}`;
}

/**
 * One JSON array per line holding each column's value as text (the same text JSON shows: ISO
 * timestamps, exact numerics, JSON for jsonb and arrays) or null, for the XML writer.
 */
export function xmlValuesCopy(source: ExportSource): string {
  const values = source.columns.map((c) => `to_json(t.${quoteIdent(c.name)}) #>> '{}'`).join(', ');
  return `COPY (SELECT json_build_array(${values}) FROM (${source.sql}) t) TO STDOUT ${RAW_LINES}`;
}

/**
 * Binary COPY of the source with each column in the form its Parquet column reads (see
 * `parquetColumn`): integers and timestamps as binary integers, text as raw UTF-8, numeric and jsonb
 * as their exact text. Binary framing needs no unescaping and costs Postgres no more than CSV.
 */
export function parquetCopy(source: ExportSource): string {
  const values = source.columns.map((c) => parquetColumn(c).select).join(', ');
  return `COPY (SELECT ${values} FROM (${source.sql}) t) TO STDOUT WITH (FORMAT binary)`;
}
