import { dateReader } from "./csv/dates.ts";

// A point's timestamp as a person or a script sends it, turned into an instant. An instant (a
// Date, epoch milliseconds, ISO 8601 text with Z or an offset) stays as it is; ISO 8601 text
// without an offset ("2026-03-29", "2026-03-29T10:00") is a wall-clock time in the workspace's
// time zone, never the server's (what `new Date(text)` would make of it). Daylight-saving gaps and
// overlaps follow the CSV import's rule (csv/time-zone.ts), so both read a date the same way.

// Prisma's engine reads dates as ISO 8601 with four-digit years.
const earliestMs = new Date("0001-01-01T00:00:00.000Z").getTime();
const latestMs = new Date("9999-12-31T23:59:59.999Z").getTime();

export class TimestampError extends RangeError {
  override readonly name = "TimestampError";
}

/** The instant of `value` (local text read in `timeZone`); a TimestampError says what is wrong. */
export function pointInstant(value: Date | number | string, timeZone: string): Date {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === "number") ms = value;
  else {
    ms = dateReader("YYYY-MM-DD", timeZone)(value);
    if (Number.isNaN(ms))
      throw new TimestampError(
        `Timestamp ${JSON.stringify(value.slice(0, 40))} is not an ISO 8601 date such as 2026-03-29 or 2026-03-29T10:00:00Z`,
      );
  }
  if (!Number.isFinite(ms)) throw new TimestampError("Timestamp must be a date");
  if (ms < earliestMs || ms > latestMs) throw new TimestampError("Timestamp must be in the years 1 to 9999");
  return new Date(ms);
}
