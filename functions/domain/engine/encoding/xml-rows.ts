import { Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

// Characters XML 1.0 cannot carry (C0 controls but tab/LF/CR, U+FFFE, U+FFFF, lone surrogates) and
// the ones markup needs escaped. CR is written as a character reference so parsers keep it.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding the controls XML 1.0 forbids is the point
const NEEDS_WORK = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;
const REPLACE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding the controls XML 1.0 forbids is the point
  /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

/** Escapes character data for an XML 1.0 element; characters XML cannot carry become U+FFFD. */
export function xmlText(value: string): string {
  if (!NEEDS_WORK.test(value)) return value;
  return value.replace(REPLACE, (ch) => ENTITIES[ch] ?? '\uFFFD');
}

/** Escapes an attribute value (double-quoted). */
export function xmlAttribute(value: string): string {
  return xmlText(value).replaceAll('"', '&quot;');
}

/**
 * Converts newline-separated JSON arrays of column values (`["1","a",null]`, one per row, every
 * value already the column's text) into `<row><col>…</col></row>` elements. Column names come from
 * the catalogue and are valid XML names. With `rowElement` null the columns are written bare, for
 * single-row sections such as the user profile.
 */
export function xmlRows(
  columns: readonly string[],
  rowElement: string | null,
  onRows?: (n: number) => void,
): Transform {
  const decoder = new StringDecoder('utf8');
  const open = columns.map((c) => `<${c}>`);
  const close = columns.map((c) => `</${c}>`);
  const nil = columns.map((c) => `<${c} xsi:nil="true"/>`);
  const rowOpen = rowElement ? `<${rowElement}>` : '';
  const rowClose = rowElement ? `</${rowElement}>\n` : '\n';
  let carry = '';
  const render = (line: string): string => {
    const values = JSON.parse(line) as (string | null)[];
    let out = rowOpen;
    for (let i = 0; i < columns.length; i++) {
      const value = values[i];
      out += value === null || value === undefined ? nil[i] : open[i] + xmlText(value) + close[i];
    }
    return out + rowClose;
  };
  const convert = (text: string, final: boolean): string => {
    const lines = (carry + text).split('\n');
    carry = final ? '' : (lines.pop() ?? '');
    let out = '';
    let rows = 0;
    for (const line of lines) {
      if (line.length === 0) continue;
      out += render(line);
      rows++;
    }
    if (rows && onRows) onRows(rows);
    return out;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        callback(null, convert(decoder.write(chunk), false));
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback) {
      try {
        const rest = convert(decoder.end(), true);
        callback(null, rest.length ? rest : undefined);
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}
