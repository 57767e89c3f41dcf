import {
  CATALOGUE,
  type CatalogueTable,
  catalogueTable,
  NEVER_EXPORTED,
  quoteIdent,
} from '../catalogue/catalogue.js';
import {
  COMPRESSIONS,
  type Compression,
  compressionProblem,
  EXPORT_FORMATS,
  type ExportFormat,
} from '../engine/export-format.js';
import { type ColumnSpec, columnTypeSql, type ExportSource, paramRef } from '../engine/export-source.js';
import { type FieldIssue, NotFoundError, ValidationError } from '../errors.js';
import { CronConversionError, toEventBridgeCron } from './eventbridge-cron.js';

/** Where a scheduled export's objects go. */
export interface ScheduleDestination {
  /** `null` means the service's own `EXPORT_BUCKET`. */
  readonly bucket: string | null;
  /** Key prefix, ending in `/`, without a leading `/`. */
  readonly prefix: string;
}

/** The time window one scheduled run exports, derived from its scheduled time (never from "now"). */
export interface ScheduleWindow {
  readonly scheduledFor: Date;
  /** `YYYY-MM-DD`: the UTC date of `scheduledFor`; it names the object. */
  readonly runDate: string;
  /** Inclusive start. */
  readonly start: Date;
  /** Exclusive end. */
  readonly end: Date;
}

/** One named, cron-driven export of a fixed query (docs/schedules.md). */
export interface ScheduleDefinition {
  readonly name: string;
  readonly description: string;
  /** 5-field cron, UTC; must convert to EventBridge (see `toEventBridgeCron`). */
  readonly cron: string;
  readonly format: ExportFormat;
  readonly compression: Compression;
  readonly destination: ScheduleDestination;
  /** The window is the `lookbackDays` whole UTC days before the run's date: [runDay − n days, runDay). */
  readonly lookbackDays: number;
  /** The query for one run; the window reaches it only through `params`. */
  source(window: ScheduleWindow): ExportSource;
}

/**
 * Stands for the service's `EXPORT_BUCKET` in a destination URL, e.g.
 * `` `s3://${SERVICE_BUCKET}/daily/transactions/` ``.
 */
// biome-ignore lint/suspicious/noTemplateCurlyInString: a literal placeholder, filled in by whoever deploys the service
export const SERVICE_BUCKET = '${bucket}';

const NAME_PATTERN = /^[a-z][a-z0-9_]{2,63}$/;
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const EXTENSION_PATTERN = /^[a-z0-9]+(\.[a-z0-9]+)*$/;
const DAY_MS = 86_400_000;

/**
 * Splits `s3://bucket/prefix/` into bucket and key prefix; `s3://${bucket}/…` (the literal
 * {@link SERVICE_BUCKET}) gives `bucket: null`. The URL itself is never part of an object key.
 *
 * @throws ValidationError when it is not an s3 URL with a valid bucket name and prefix.
 */
export function parseDestination(url: string): ScheduleDestination {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(url);
  if (!match) throw ValidationError.field('destination', `"${url}" is not an s3://bucket/prefix/ URL`);
  const [, bucketText = '', prefix = ''] = match;
  const bucket = bucketText === SERVICE_BUCKET ? null : bucketText;
  const problem = destinationProblem({ bucket, prefix });
  if (problem) throw ValidationError.field('destination', `${url}: ${problem}`);
  return { bucket, prefix };
}

/**
 * The window a run scheduled at `scheduledFor` exports: the `lookbackDays` whole UTC days before
 * the scheduled time's date. A run at 01:00 on 1 March exports February's last day, whenever the
 * worker actually gets to it.
 */
export function windowFor(def: Pick<ScheduleDefinition, 'lookbackDays'>, scheduledFor: Date): ScheduleWindow {
  const time = scheduledFor.getTime();
  if (Number.isNaN(time)) throw ValidationError.field('scheduledFor', 'must be a valid date');
  const runDay = Math.floor(time / DAY_MS) * DAY_MS; // UTC has no DST: every day is DAY_MS long
  return {
    scheduledFor: new Date(time),
    runDate: new Date(runDay).toISOString().slice(0, 10),
    start: new Date(runDay - def.lookbackDays * DAY_MS),
    end: new Date(runDay),
  };
}

/**
 * The object key of a run: `{prefix}{name}_{YYYY-MM-DD}.{ext}`, one per schedule and run date, so a
 * rerun for the same date replaces the object. `ext` is the file extension, e.g. `csv` or `csv.gz`.
 */
export function objectKeyFor(
  def: Pick<ScheduleDefinition, 'name' | 'destination'>,
  window: Pick<ScheduleWindow, 'runDate'>,
  ext: string,
): string {
  if (!EXTENSION_PATTERN.test(ext)) throw new RangeError(`invalid file extension "${ext}"`);
  return `${def.destination.prefix}${def.name}_${window.runDate}.${ext}`;
}

/** Some of a catalogue table's columns, with their catalogue types, in the order given. */
function pick(table: CatalogueTable, names: readonly string[]): readonly ColumnSpec[] {
  return names.map((name) => {
    const column = table.columns.find((candidate) => candidate.name === name);
    if (!column) throw new Error(`${table.name}.${name} is not in the export catalogue`);
    return column;
  });
}

/**
 * Rows of a catalogue table whose date column falls in the window (half-open), in id order. Only
 * catalogue identifiers reach the SQL; the window bounds are bound as params.
 */
function createdInWindow(
  table: CatalogueTable,
  columns: readonly ColumnSpec[],
  window: ScheduleWindow,
): ExportSource {
  const date = quoteIdent(table.dateColumn);
  return {
    name: table.name,
    sql:
      `SELECT ${columns.map((column) => quoteIdent(column.name)).join(', ')} FROM ${quoteIdent(table.name)}` +
      ` WHERE ${date} >= ${paramRef('window_start', 'timestamptz')}` +
      ` AND ${date} < ${paramRef('window_end', 'timestamptz')}` +
      ` ORDER BY ${quoteIdent('id')}`,
    params: { window_start: window.start.toISOString(), window_end: window.end.toISOString() },
    columns,
  };
}

const TRANSACTIONS = CATALOGUE.transactions!;
const USERS = CATALOGUE.users!;
const NEW_USER_COLUMNS = pick(USERS, ['id', 'email', 'created_at']);

/** The scheduled exports, validated when this module loads. */
export const SCHEDULES: readonly ScheduleDefinition[] = Object.freeze([
  Object.freeze<ScheduleDefinition>({
    name: 'daily_transactions',
    description: 'Transactions created on the UTC day before the run date',
    cron: '0 1 * * *',
    format: 'csv',
    compression: 'none',
    destination: parseDestination(`s3://${SERVICE_BUCKET}/daily/transactions/`),
    lookbackDays: 1,
    source: (window) => createdInWindow(TRANSACTIONS, TRANSACTIONS.columns, window),
  }),
  Object.freeze<ScheduleDefinition>({
    name: 'weekly_users',
    description: 'Id, email and creation time of users created in the 7 UTC days before the run date',
    cron: '0 2 * * 0',
    format: 'json',
    compression: 'none',
    destination: parseDestination(`s3://${SERVICE_BUCKET}/weekly/users/`),
    lookbackDays: 7,
    source: (window) => createdInWindow(USERS, NEW_USER_COLUMNS, window),
  }),
]);

/** The schedule called `name`. @throws NotFoundError when there is none. */
export function getSchedule(name: string): ScheduleDefinition {
  const schedule = SCHEDULES.find((candidate) => candidate.name === name);
  if (!schedule) throw new NotFoundError(`no scheduled export named "${name}"`);
  return schedule;
}

/**
 * Checks a catalogue: unique names of 3–64 lowercase letters, digits and underscores; crons
 * EventBridge can express; known formats with a compression they allow; valid destinations;
 * whole-day windows; and queries that read only export-catalogue columns (with their catalogue
 * types) and take the window through `params` rather than inlining it.
 *
 * @throws ValidationError listing every problem, each under `schedules[i].field`.
 */
export function validateCatalogue(defs: readonly ScheduleDefinition[]): void {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  defs.forEach((def, index) => {
    const issue = (field: string, message: string) =>
      issues.push({ field: `schedules[${index}].${field}`, message });
    if (!NAME_PATTERN.test(def.name)) issue('name', `"${def.name}" must match ${NAME_PATTERN}`);
    if (seen.has(def.name)) issue('name', `"${def.name}" is used twice`);
    seen.add(def.name);
    if (def.description.trim() === '') issue('description', 'must not be empty');
    try {
      toEventBridgeCron(def.cron);
    } catch (error) {
      if (!(error instanceof CronConversionError)) throw error;
      issue('cron', error.message);
    }
    if (!(EXPORT_FORMATS as readonly string[]).includes(def.format)) {
      issue('format', `"${def.format}" is not one of ${EXPORT_FORMATS.join(', ')}`);
    }
    if (!(COMPRESSIONS as readonly string[]).includes(def.compression)) {
      issue('compression', `"${def.compression}" is not one of ${COMPRESSIONS.join(', ')}`);
    } else {
      const problem = compressionProblem(def.format, def.compression);
      if (problem) issue('compression', problem);
    }
    const destination = destinationProblem(def.destination);
    if (destination) issue('destination', destination);
    if (!Number.isInteger(def.lookbackDays) || def.lookbackDays < 1 || def.lookbackDays > 366) {
      issue('lookbackDays', 'must be a whole number of days from 1 to 366');
    } else {
      const source = sourceProblem(def);
      if (source) issue('source', source);
    }
  });
  if (issues.length > 0) {
    throw new ValidationError(
      issues,
      `invalid schedule catalogue: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    );
  }
}

function destinationProblem(destination: ScheduleDestination): string | undefined {
  const { bucket, prefix } = destination;
  if (bucket !== null && !BUCKET_PATTERN.test(bucket)) return `"${bucket}" is not a valid bucket name`;
  if (prefix === '' || !prefix.endsWith('/')) return `prefix "${prefix}" must end with "/"`;
  if (prefix.startsWith('/')) return `prefix "${prefix}" must not start with "/"`;
  if (
    prefix
      .slice(0, -1)
      .split('/')
      .some((segment) => segment === '' || segment === '.' || segment === '..')
  ) {
    return `prefix "${prefix}" has an empty, "." or ".." segment`;
  }
  return undefined;
}

/** Builds the query for a sample window and checks the window is bound, not spliced into the SQL. */
function sourceProblem(def: ScheduleDefinition): string | undefined {
  const window = windowFor(def, new Date(Date.UTC(2000, 0, 2, 1)));
  let source: ExportSource;
  try {
    source = def.source(window);
  } catch (error) {
    return `throws: ${error instanceof Error ? error.message : String(error)}`;
  }
  const start = window.start.toISOString();
  const end = window.end.toISOString();
  if (source.columns.length === 0) return 'has no columns';
  if (new Set(source.columns.map((column) => column.name)).size !== source.columns.length) {
    return 'lists a column twice';
  }
  const table = catalogueTable(source.name);
  if (!table) return `reads "${source.name}", which is not in the export catalogue`;
  for (const column of source.columns) {
    const known = table.columns.find((candidate) => candidate.name === column.name);
    if (!known || NEVER_EXPORTED.has(column.name))
      return `column ${source.name}.${column.name} is not exportable`;
    if (columnTypeSql(known) !== columnTypeSql(column))
      return `column ${source.name}.${column.name} is ${columnTypeSql(known)}, not ${columnTypeSql(column)}`;
  }
  if (source.params.window_start !== start || source.params.window_end !== end) {
    return 'must pass the window as params window_start and window_end';
  }
  if (source.sql.includes(start.slice(0, 10)) || source.sql.includes(end.slice(0, 10))) {
    return 'must not put the window into the SQL text';
  }
  return undefined;
}

validateCatalogue(SCHEDULES);
