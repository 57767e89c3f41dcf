import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso/router';
import { ApiError, api, call } from '../api/client';
import {
  BULK_FORMATS,
  type BulkFormat,
  type BulkRequest,
  type Catalogue,
  type CatalogueTable,
  COMPRESSIONS,
  type Compression,
  type FieldIssue,
} from '../api/types';
import { ApiErrorNotice } from '../components/api-error-notice';
import { ErrorSummary, FieldError, fieldId, invalidProps } from '../components/field-errors';
import { limitsChanged } from '../components/quota';
import { ROUTES } from '../routes';
import { usePoll } from '../use-poll';

interface TableChoice {
  readonly columns: readonly string[];
  readonly dateFrom: string;
  readonly dateTo: string;
}

/** The request body the form stands for: a table's columns are sent only when some are left out. */
export function bulkRequestOf(
  catalogue: Catalogue,
  chosen: Readonly<Record<string, TableChoice>>,
  options: { format: BulkFormat; compression: Compression; formulaGuard: boolean; snapshot?: boolean },
): BulkRequest {
  const tables = catalogue.tables.filter((t) => chosen[t.name]).map((t) => t.name);
  const filters: NonNullable<BulkRequest['filters']> = {};
  const columns: NonNullable<BulkRequest['columns']> = {};
  for (const table of catalogue.tables) {
    const choice = chosen[table.name];
    if (!choice) continue;
    const range = {
      ...(choice.dateFrom.trim() && { dateFrom: choice.dateFrom.trim() }),
      ...(choice.dateTo.trim() && { dateTo: choice.dateTo.trim() }),
    };
    if (Object.keys(range).length > 0) filters[table.name] = range;
    if (choice.columns.length !== table.columns.length)
      columns[table.name] = table.columns.map((c) => c.name).filter((c) => choice.columns.includes(c));
  }
  return {
    tables,
    format: options.format,
    compression: options.compression,
    ...(Object.keys(filters).length > 0 && { filters }),
    ...(Object.keys(columns).length > 0 && { columns }),
    ...(options.format === 'csv' && { csv: { formulaGuard: options.formulaGuard } }),
    ...(options.snapshot && { consistency: 'snapshot' as const }),
  };
}

/**
 * A new bulk export: tables and their columns from `GET /catalogue`, a date range per table, the
 * format and compression from the API's own enums. The form does not second-guess the API: its
 * 400 names each bad field, and the message appears next to that field and in a summary.
 */
export function NewExportPage() {
  const catalogue = usePoll<Catalogue>(
    'catalogue',
    () => call(api.GET('/catalogue')),
    () => null,
  );
  return (
    <section aria-labelledby="new-title">
      <h1 id="new-title">New bulk export</h1>
      {catalogue.error && <ApiErrorNotice error={catalogue.error} />}
      {catalogue.data ? <BulkExportForm catalogue={catalogue.data} /> : <p aria-busy="true">Loading…</p>}
    </section>
  );
}

function BulkExportForm({ catalogue }: { catalogue: Catalogue }) {
  const { route } = useLocation();
  const [chosen, setChosen] = useState<Record<string, TableChoice>>({});
  const [format, setFormat] = useState<BulkFormat>(BULK_FORMATS.includes('csv') ? 'csv' : BULK_FORMATS[0]!);
  const [compression, setCompression] = useState<Compression>('none');
  const [formulaGuard, setFormulaGuard] = useState(false);
  const [snapshot, setSnapshot] = useState(false);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [failure, setFailure] = useState<{ error: ApiError; at: number } | undefined>();
  const [busy, setBusy] = useState(false);
  // The same body keeps its Idempotency-Key, so a double submit or a retry makes one job.
  const [attempt, setAttempt] = useState<{ body: string; key: string } | undefined>();

  const toggleTable = (table: CatalogueTable, on: boolean) => {
    const next = { ...chosen };
    if (on) next[table.name] = { columns: table.columns.map((c) => c.name), dateFrom: '', dateTo: '' };
    else delete next[table.name];
    setChosen(next);
  };
  const update = (name: string, change: Partial<TableChoice>) => {
    const current = chosen[name];
    if (current) setChosen({ ...chosen, [name]: { ...current, ...change } });
  };

  const submit = async (event: Event) => {
    event.preventDefault();
    const body = bulkRequestOf(catalogue, chosen, { format, compression, formulaGuard, snapshot });
    const text = JSON.stringify(body);
    const key = attempt?.body === text ? attempt.key : crypto.randomUUID();
    setAttempt({ body: text, key });
    setBusy(true);
    try {
      const accepted = await call(
        api.POST('/bulk', { body, params: { header: { 'Idempotency-Key': key } } }),
      );
      limitsChanged();
      route(ROUTES.job(accepted.jobId));
    } catch (error) {
      const apiError = error instanceof ApiError ? error : new ApiError(0, 'client', String(error));
      setIssues([...apiError.issues]);
      setFailure(apiError.issues.length > 0 ? undefined : { error: apiError, at: Date.now() });
      if (apiError.status === 429) limitsChanged();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} noValidate>
      <ErrorSummary issues={issues} title="The export was not started:" />
      {failure && <ApiErrorNotice error={failure.error} at={failure.at} />}
      <fieldset>
        <legend>Tables</legend>
        <FieldError issues={issues} field="tables" nested />
        {catalogue.tables.map((table, index) => {
          const choice = chosen[table.name];
          return (
            <div class="table-choice" key={table.name}>
              <label class="check">
                <input
                  type="checkbox"
                  id={index === 0 ? fieldId('tables') : `table-${table.name}`}
                  name="tables"
                  value={table.name}
                  checked={choice !== undefined}
                  onChange={(event) => toggleTable(table, event.currentTarget.checked)}
                />{' '}
                <strong>{table.name}</strong>{' '}
                <span class="muted small">
                  {table.columns.length} columns, dates on <code>{table.dateColumn}</code>
                </span>
              </label>
              <FieldError issues={issues} field={`filters.${table.name}`} />
              {choice && (
                <TableOptions
                  table={table}
                  choice={choice}
                  issues={issues}
                  onChange={(change) => update(table.name, change)}
                />
              )}
            </div>
          );
        })}
      </fieldset>
      <fieldset>
        <legend>Format</legend>
        <FieldError issues={issues} field="format" />
        <div class="choices">
          {BULK_FORMATS.map((value, index) => (
            <label class="check" key={value}>
              <input
                type="radio"
                name="format"
                id={index === 0 ? fieldId('format') : undefined}
                value={value}
                checked={format === value}
                onChange={() => setFormat(value)}
              />{' '}
              {value}
            </label>
          ))}
        </div>
      </fieldset>
      <fieldset>
        <legend>Compression</legend>
        <FieldError issues={issues} field="compression" />
        <div class="choices">
          {COMPRESSIONS.map((value, index) => (
            <label class="check" key={value}>
              <input
                type="radio"
                name="compression"
                id={index === 0 ? fieldId('compression') : undefined}
                value={value}
                checked={compression === value}
                onChange={() => setCompression(value)}
              />{' '}
              {value}
            </label>
          ))}
        </div>
      </fieldset>
      {format === 'csv' && (
        <label class="check">
          <input
            type="checkbox"
            id={fieldId('csv.formulaGuard')}
            checked={formulaGuard}
            onChange={(event) => setFormulaGuard(event.currentTarget.checked)}
          />{' '}
          Formula guard: prefix <code>'</code> to text cells that a spreadsheet would run as a formula
        </label>
      )}
      <FieldError issues={issues} field="csv" nested />
      <label class="check">
        <input
          type="checkbox"
          id={fieldId('consistency')}
          checked={snapshot}
          onChange={(event) => setSnapshot(event.currentTarget.checked)}
        />{' '}
        One instant for every file (snapshot): tables split into parts all show the same moment, but the
        export must then finish within one worker run
      </label>
      <FieldError issues={issues} field="consistency" />
      <FieldError issues={issues} field="body" />
      <div class="form-actions">
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? 'Starting…' : 'Start export'}
        </button>
      </div>
    </form>
  );
}

function TableOptions({
  table,
  choice,
  issues,
  onChange,
}: {
  table: CatalogueTable;
  choice: TableChoice;
  issues: readonly FieldIssue[];
  onChange: (change: Partial<TableChoice>) => void;
}) {
  const from = `filters.${table.name}.dateFrom`;
  const to = `filters.${table.name}.dateTo`;
  const columnsField = `columns.${table.name}`;
  const hint = `table-${table.name}-date-hint`;
  return (
    <div class="table-options">
      <fieldset class="columns" {...invalidProps(issues, columnsField, true)}>
        <legend>Columns of {table.name}</legend>
        <FieldError issues={issues} field={columnsField} nested />
        <div class="choices">
          {table.columns.map((column, index) => (
            <label class="check" key={column.name}>
              <input
                type="checkbox"
                id={index === 0 ? fieldId(columnsField) : undefined}
                checked={choice.columns.includes(column.name)}
                onChange={(event) =>
                  onChange({
                    columns: event.currentTarget.checked
                      ? [...choice.columns, column.name]
                      : choice.columns.filter((c) => c !== column.name),
                  })
                }
              />{' '}
              {column.name} <span class="muted small">{column.type}</span>
            </label>
          ))}
        </div>
      </fieldset>
      <p id={hint} class="muted small">
        Date range on <code>{table.dateColumn}</code>: <code>YYYY-MM-DD</code> (a date “to” includes that
        whole day) or an ISO 8601 date-time with offset. Leave empty for all rows.
      </p>
      <div class="date-range">
        <div class="field">
          <label for={fieldId(from)}>{table.name} from</label>
          <input
            type="text"
            id={fieldId(from)}
            inputMode="numeric"
            autoComplete="off"
            placeholder="2024-01-01"
            value={choice.dateFrom}
            onInput={(event) => onChange({ dateFrom: event.currentTarget.value })}
            {...invalidProps(issues, from)}
            aria-describedby={[hint, invalidProps(issues, from)['aria-describedby']]
              .filter(Boolean)
              .join(' ')}
          />
          <FieldError issues={issues} field={from} />
        </div>
        <div class="field">
          <label for={fieldId(to)}>{table.name} to</label>
          <input
            type="text"
            id={fieldId(to)}
            inputMode="numeric"
            autoComplete="off"
            placeholder="2024-12-31"
            value={choice.dateTo}
            onInput={(event) => onChange({ dateTo: event.currentTarget.value })}
            {...invalidProps(issues, to)}
            aria-describedby={[hint, invalidProps(issues, to)['aria-describedby']].filter(Boolean).join(' ')}
          />
          <FieldError issues={issues} field={to} />
        </div>
      </div>
    </div>
  );
}
