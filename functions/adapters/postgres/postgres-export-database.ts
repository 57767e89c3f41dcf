import { PassThrough, type Readable } from 'node:stream';
import type { Sql, TransactionSql } from 'postgres';
import { quoteIdent } from '../../domain/catalogue/catalogue.js';
import type { ExportSource } from '../../domain/engine/export-source.js';
import type {
  ExportDatabase,
  KeyStats,
  SharedSnapshots,
  Snapshot,
  SnapshotOptions,
} from '../../domain/engine/ports.js';
import { translatePostgresError } from './errors.js';

/**
 * Reads export sources from the product database. Each export runs in one read-only
 * REPEATABLE READ transaction, in UTC with ISO dates, so every table reflects the same instant and
 * the text output is what `psql \copy` prints for the same session settings.
 */
export class PostgresExportDatabase implements ExportDatabase, SharedSnapshots {
  constructor(private readonly sql: Sql) {}

  withSnapshot<T>(work: (snapshot: Snapshot) => Promise<T>, options: SnapshotOptions = {}): Promise<T> {
    return this.transaction(async (tx) => {
      if (options.shared === undefined) return work;
      // The id cannot be a bind parameter; it is checked to be what pg_export_snapshot() returns.
      if (!SNAPSHOT_ID.test(options.shared)) throw new Error('not a snapshot id');
      await tx.unsafe(`SET TRANSACTION SNAPSHOT '${options.shared}'`);
      return work;
    });
  }

  withSharedSnapshot<T>(work: (snapshot: Snapshot, shared: string) => Promise<T>): Promise<T> {
    return this.transaction(async (tx) => {
      const [row] = await tx<{ id: string }[]>`SELECT pg_export_snapshot() AS id`;
      return (snapshot) => work(snapshot, row!.id);
    });
  }

  /**
   * One read-only REPEATABLE READ transaction in UTC with ISO dates. `start` runs first (a shared
   * snapshot must be joined before the transaction's first query) and returns the work to run in it.
   */
  private async transaction<T>(
    start: (tx: TransactionSql) => Promise<(snapshot: Snapshot) => Promise<T>>,
  ): Promise<T> {
    try {
      return (await this.sql.begin('isolation level repeatable read read only', async (tx) => {
        const work = await start(tx);
        await tx`SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, MDY', true),
                        set_config('IntervalStyle', 'postgres', true)`;
        const [row] = await tx<{ now: Date }[]>`SELECT now() AS now`;
        const snapshot = new PostgresSnapshot(tx, row!.now);
        try {
          return await work(snapshot);
        } finally {
          await snapshot.settle();
        }
      })) as T;
    } catch (error) {
      throw translatePostgresError(error, 'exporting');
    }
  }
}

/** What `pg_export_snapshot()` returns, e.g. `00000003-0000001B-1`. */
const SNAPSHOT_ID = /^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$/i;

class PostgresSnapshot implements Snapshot {
  private readonly pending: Promise<void>[] = [];

  constructor(
    private readonly tx: TransactionSql,
    readonly startedAt: Date,
  ) {}

  /** COPY cannot take bind parameters, so values are bound into transaction-local settings. */
  private async bind(params: Readonly<Record<string, string>>) {
    const names = Object.keys(params);
    if (names.length === 0) return;
    await this.tx`SELECT set_config('export.' || name, value, true)
                  FROM unnest(${names}::text[], ${names.map((n) => params[n]!)}::text[]) AS p(name, value)`;
  }

  async count(source: ExportSource): Promise<number> {
    await this.bind(source.params);
    const [row] = await this.tx.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM (${source.sql}) t`);
    return Number(row!.n);
  }

  async estimate(source: ExportSource): Promise<number> {
    await this.bind(source.params);
    const [row] = await this.tx.unsafe<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[]>(
      `EXPLAIN (FORMAT JSON) ${source.sql}`,
    );
    return Math.max(0, Math.round(row?.['QUERY PLAN'][0].Plan['Plan Rows'] ?? 0));
  }

  async keyStats(table: string, key: string): Promise<KeyStats> {
    // Two index probes; min()/max() would not do for every key type (Postgres has no min(uuid)).
    const k = quoteIdent(key);
    const t = quoteIdent(table);
    const [bounds] = await this.tx.unsafe<{ min: string | null; max: string | null }[]>(
      // Qualified: an unqualified ORDER BY would sort by the text output column of the same name.
      `SELECT (SELECT ${t}.${k}::text FROM ${t} ORDER BY ${t}.${k} LIMIT 1) AS min,
              (SELECT ${t}.${k}::text FROM ${t} ORDER BY ${t}.${k} DESC LIMIT 1) AS max`,
    );
    const [stats] = await this.tx<{ bounds: string[] | null }[]>`
      SELECT histogram_bounds::text::text[] AS bounds FROM pg_stats
      WHERE schemaname = current_schema() AND tablename = ${table} AND attname = ${key}`;
    return { min: bounds?.min ?? null, max: bounds?.max ?? null, histogram: stats?.bounds ?? [] };
  }

  async keyAt(
    table: string,
    key: string,
    keyType: string,
    range: { readonly after: string | null; readonly upTo: string | null },
    offset: number,
  ): Promise<string | null> {
    if (!/^[a-z]+$/.test(keyType)) throw new Error(`invalid key type ${keyType}`);
    const k = quoteIdent(key);
    const where: string[] = [];
    const params: string[] = [];
    if (range.after !== null) where.push(`${k} > $${params.push(range.after)}::${keyType}`);
    if (range.upTo !== null) where.push(`${k} <= $${params.push(range.upTo)}::${keyType}`);
    // An index range scan of `offset` keys; the last of them ends the slice.
    const [row] = await this.tx.unsafe<{ key: string }[]>(
      // The key is ordered as its own type; only the chosen one is turned into text.
      `SELECT s.k::text AS key FROM (SELECT ${k} AS k FROM ${quoteIdent(table)}` +
        `${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${k} LIMIT ${Math.max(1, Math.floor(offset))}) s` +
        ' ORDER BY s.k DESC LIMIT 1',
      params,
    );
    return row?.key ?? null;
  }

  async copyOut(statement: string, params: Readonly<Record<string, string>>): Promise<Readable> {
    await this.bind(params);
    const source = (await this.tx.unsafe(statement).readable()) as Readable;
    const out = new PassThrough();
    // postgres.js leaves its connection in COPY mode unless the COPY runs to CopyDone: a cancelled
    // or destroyed COPY stream makes every later query on it fail (COPY_IN_PROGRESS), and a
    // destroyed stream stops its socket for good. So the raw stream is never destroyed: when the
    // consumer goes away, the rest of the COPY is read and dropped, and the transaction waits
    // for that before it ends.
    const finished = new Promise<void>((resolve) => {
      source.once('end', resolve);
      source.once('error', resolve);
    });
    this.pending.push(finished);
    source.on('data', (chunk: Buffer) => {
      if (!out.destroyed && !out.write(chunk)) source.pause();
    });
    out.on('drain', () => source.resume());
    out.once('close', () => source.resume());
    source.once('error', (error) => out.destroy(translatePostgresError(error, 'streaming rows')));
    source.once('end', () => {
      // postgres.js pauses its socket when a push meets backpressure and resumes it only from
      // read(). If the last rows were pushed under backpressure the stream ends before read() runs
      // again, the socket stays paused and the COPY's CommandComplete is never read: resume it.
      source._read(0);
      out.end();
    });
    return out;
  }

  /** Waits until every COPY started in this snapshot has been read to its end. */
  async settle(): Promise<void> {
    await Promise.all(this.pending);
  }
}
