import * as z from 'zod/mini';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = z.iso.datetime({ offset: true, precision: undefined });
const OFFSET = /([+-])(\d{2}):(\d{2})$/;

/**
 * The instants a date may name: UTC years 1 to 9999. Postgres holds a wider range, but it refuses
 * year 0, and dates reach it as ISO 8601 text with four-digit years, also when JavaScript writes
 * them (`toISOString` of a `since` or a schedule window), so an instant outside these years would
 * be a database error at run time instead of a 400 now.
 */
export const EARLIEST_DATE = '0001-01-01';
export const LATEST_DATE = '9999-12-31';
const EARLIEST_INSTANT = Date.parse(`${EARLIEST_DATE}T00:00:00.000Z`);
const LATEST_INSTANT = Date.parse(`${LATEST_DATE}T23:59:59.999Z`);
/** Postgres reads UTC offsets up to 15:59 either way; `-23:59` is a syntax ISO allows and Postgres refuses. */
const MAX_OFFSET_MINUTES = 15 * 60 + 59;

/** What every date field of the API must be; the message of a 400 for one that is not. */
export const DATE_BOUND_RULE = `must be an ISO 8601 date or date-time with an offset within ±15:59, from ${EARLIEST_DATE} to ${LATEST_DATE} UTC`;

/** A validated date bound: either a calendar day (UTC) or an instant with an explicit offset. */
export interface DateBound {
  readonly value: string;
  readonly dateOnly: boolean;
}

/** True when `instant` (ms since the epoch) lies in the range every date of the service must keep to. */
export function isInDateRange(instant: number): boolean {
  return instant >= EARLIEST_INSTANT && instant <= LATEST_INSTANT;
}

/**
 * Validates an ISO 8601 date (`2024-01-31`) or date-time with offset, within the range Postgres and
 * the service accept (see {@link DATE_BOUND_RULE}); returns undefined when invalid. Every date the
 * API takes goes through here: bulk filters, `/metrics?since`, schedule dates and `/jobs` cursors.
 */
export function parseDateBound(value: string): DateBound | undefined {
  const day = DATE_ONLY.exec(value);
  if (day) {
    const [y, m, d] = [Number(day[1]), Number(day[2]), Number(day[3])];
    const date = new Date(Date.parse(`${day[1]}-${day[2]}-${day[3]}T00:00:00.000Z`));
    const valid = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
    return valid && isInDateRange(date.getTime()) ? { value, dateOnly: true } : undefined;
  }
  if (!z.safeParse(DATE_TIME, value).success) return undefined;
  const offset = OFFSET.exec(value);
  if (offset && Number(offset[2]) * 60 + Number(offset[3]) > MAX_OFFSET_MINUTES) return undefined;
  return isInDateRange(Date.parse(value)) ? { value, dateOnly: false } : undefined;
}
