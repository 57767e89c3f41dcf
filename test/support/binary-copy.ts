/**
 * Builds PostgreSQL binary COPY streams for unit tests, written from the format's documentation
 * (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4); the integration tests
 * read real Postgres output instead.
 */
export function binaryCopy(rows: readonly (readonly (Buffer | null)[])[], flags = 0): Buffer {
  const header = Buffer.alloc(19);
  header.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
  header.writeUInt32BE(flags, 11);
  header.writeUInt32BE(0, 15);
  const parts: Buffer[] = [header];
  for (const row of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(row.length);
    parts.push(count);
    for (const field of row) {
      const length = Buffer.alloc(4);
      length.writeInt32BE(field === null ? -1 : field.length);
      parts.push(length);
      if (field) parts.push(field);
    }
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

export const int8 = (value: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(value);
  return b;
};
export const bool = (value: boolean): Buffer => Buffer.from([value ? 1 : 0]);
export const text = (value: string): Buffer => Buffer.from(value, 'utf8');
/** timestamptz's send form: microseconds since 2000-01-01T00:00:00Z. */
export const timestamptz = (iso: string, micros = 0n): Buffer =>
  int8((BigInt(Date.parse(iso)) - 946_684_800_000n) * 1000n + micros);

/** Splits `bytes` at the given offsets (sorted, deduplicated), as a network would. */
export function splitAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const cuts = [...new Set(offsets.filter((o) => o > 0 && o < bytes.length))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(bytes.subarray(start, cut));
    start = cut;
  }
  return chunks;
}
