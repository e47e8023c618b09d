import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';

/**
 * What PostgreSQL can store of a client's values, checked before they reach a statement: a
 * value it would refuse is the client's mistake (BAD_USER_INPUT), not a failed statement.
 */

/** PostgreSQL text cannot hold the NUL character (U+0000). */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000');
}

const EARLIEST = Date.parse('0001-01-01T00:00:00.000Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * Instants from year 1 to year 9999 in UTC: what timestamptz stores and what an ISO 8601
 * string with a four-digit year can say (toISOString writes year 10000 as "+010000").
 */
export function isStorableTime(date: Date): boolean {
  const time = date.getTime();
  return time >= EARLIEST && time <= LATEST;
}

/** An ISO 8601 date and time with an offset, as the DateTime scalar accepts it. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The instant an ISO 8601 string names, or undefined when it is not one or cannot be stored. */
export function parseStorableTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !ISO_8601.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) || !isStorableTime(date) ? undefined : date;
}

/** An instant as the API writes it: ISO 8601 in UTC with milliseconds (Date.prototype.toISOString). */
export function isoTime(date: Date): string {
  return date.toISOString();
}

/** `isoTime` computed by PostgreSQL, for a timestamptz of years 1 to 9999 (see isStorableTime). */
export function isoTimeSql(column: SQLWrapper): SQL {
  return sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** Base64url without padding of a text's UTF-8 bytes (Buffer's 'base64url'), computed by PostgreSQL. */
export function base64urlSql(text: SQL): SQL {
  // encode() breaks its output into lines of 76 characters: translate drops the line breaks.
  return sql`rtrim(translate(encode(convert_to(${text}, 'UTF8'), 'base64'), E'+/\\n', '-_'), '=')`;
}
