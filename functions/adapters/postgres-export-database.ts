import type { Readable } from 'node:stream';
import type { Sql, TransactionSql } from 'postgres';
import type { ExportSource } from '../domain/export-source.js';
import type { ExportDatabase, Snapshot } from '../domain/ports.js';
import { translatePostgresError } from './postgres-errors.js';

/**
 * Reads export sources from the product database. Each export runs in one read-only
 * REPEATABLE READ transaction, in UTC with ISO dates, so every table reflects the same instant and
 * the text output is what `psql \copy` prints for the same session settings.
 */
export class PostgresExportDatabase implements ExportDatabase {
  constructor(private readonly sql: Sql) {}

  async withSnapshot<T>(work: (snapshot: Snapshot) => Promise<T>): Promise<T> {
    try {
      return (await this.sql.begin('isolation level repeatable read read only', async (tx) => {
        await tx`SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, MDY', true),
                        set_config('IntervalStyle', 'postgres', true)`;
        const [row] = await tx<{ now: Date }[]>`SELECT now() AS now`;
        return work(new PostgresSnapshot(tx, row!.now));
      })) as T;
    } catch (error) {
      throw translatePostgresError(error, 'exporting');
    }
  }
}

class PostgresSnapshot implements Snapshot {
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

  async copyOut(statement: string, params: Readonly<Record<string, string>>): Promise<Readable> {
    await this.bind(params);
    return (await this.tx.unsafe(statement).readable()) as Readable;
  }
}
