import { quoteCell } from "./settings.ts";
import { type ZoneClock, zoneClock } from "./time-zone.ts";

// Timestamps as files write them, read by an explicit format, never by `new Date(text)` (which reads
// 01/11/2026 as January 11 in the server's time zone). The format is chosen for a whole column
// (detect.ts); a day-month order that the column does not settle is asked about, not guessed.
// Every format but epoch time takes an optional time ("T" or a space, HH:mm[:ss[.fff]], AM/PM) and
// an optional offset (Z, UTC, GMT, +01:00, +0100); without an offset the time is read in the chosen
// IANA time zone (time-zone.ts has the rule at daylight-saving changes).

export const dateFormats = [
  /** ISO 8601 calendar dates: YYYY-MM, YYYY-MM-DD, with a time and an offset or not. */
  "YYYY-MM-DD",
  "YYYY/MM/DD",
  "DD/MM/YYYY",
  "MM/DD/YYYY",
  "DD.MM.YYYY",
  "MM.DD.YYYY",
  "DD-MM-YYYY",
  "MM-DD-YYYY",
  /** A year alone: January 1 of it. */
  "YYYY",
  "epoch seconds",
  "epoch milliseconds",
] as const;
export type DateFormat = (typeof dateFormats)[number];

export function isDateFormat(value: string): value is DateFormat {
  return (dateFormats as readonly string[]).includes(value);
}

/** The same separator with day and month the other way round ("DD/MM/YYYY" <-> "MM/DD/YYYY"). */
export function swappedDayMonth(format: DateFormat): DateFormat | null {
  if (format.length !== 10 || format.startsWith("YYYY")) return null;
  const separator = format.charAt(2);
  const other = format.startsWith("DD") ? `MM${separator}DD${separator}YYYY` : `DD${separator}MM${separator}YYYY`;
  return isDateFormat(other) ? other : null;
}

const time = String.raw`(?:(?:T|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*([AaPp][Mm])?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?`;
const isoPattern = new RegExp(String.raw`^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?${time}$`);
const yearFirstSlash = new RegExp(String.raw`^(\d{4})/(\d{1,2})/(\d{1,2})${time}$`);
const dayMonthPattern = new RegExp(String.raw`^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})${time}$`);
const yearPattern = /^\d{4}$/;
const epochNumber = /^-?\d+(?:\.\d+)?$/;
// In detection, only digit counts that mean a plausible date (1973 to 5138) count as epoch time.
const likelyEpochSeconds = /^\d{9,11}(?:\.\d{1,6})?$/;
const likelyEpochMilliseconds = /^\d{12,14}$/;

/** A wall-clock time (as Date.UTC of its fields) and the offset the cell gave, if any (ms). */
interface LocalTime {
  local: number;
  offset: number | null;
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return (monthDays[month - 1] ?? 0) + (leap ? 1 : 0);
}

function offsetOf(text: string | undefined): number | null {
  if (text === undefined) return null;
  if (text === "Z" || text === "UTC" || text === "GMT") return 0;
  const sign = text.startsWith("-") ? -1 : 1;
  const digits = text.slice(1).replace(":", "");
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return Number.NaN;
  return sign * (hours * 60 + minutes) * 60_000;
}

/**
 * Validated fields to a LocalTime. The time's groups (hour, minute, second, fraction, AM/PM,
 * offset) are read from `match` starting at group `at`; no match means midnight.
 */
function localTime(
  year: number,
  month: number,
  dayOfMonth: number,
  match: RegExpExecArray | null,
  at: number,
): LocalTime | null {
  if (month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month)) return null;
  const hourText = match?.[at];
  const minuteText = match?.[at + 1];
  const secondText = match?.[at + 2];
  const fraction = match?.[at + 3];
  const meridiem = match?.[at + 4];
  let hour = hourText === undefined ? 0 : Number(hourText);
  const minute = minuteText === undefined ? 0 : Number(minuteText);
  const second = secondText === undefined ? 0 : Number(secondText);
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (meridiem.toLowerCase() === "pm" ? 12 : 0);
  }
  if (hour > 23 || minute > 59 || second > 59) return null;
  const offset = offsetOf(match?.[at + 5]);
  if (Number.isNaN(offset)) return null;
  const millisecond = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, "0"));
  let local = Date.UTC(year, month - 1, dayOfMonth, hour, minute, second, millisecond);
  if (year < 100) {
    // Date.UTC reads years 0-99 as 1900-1999.
    const date = new Date(local);
    date.setUTCFullYear(year);
    local = date.getTime();
  }
  return { local, offset };
}

function parseLocal(cell: string, format: DateFormat): LocalTime | null {
  switch (format) {
    case "YYYY-MM-DD": {
      const match = isoPattern.exec(cell);
      if (!match) return null;
      return localTime(Number(match[1]), Number(match[2]), Number(match[3] ?? 1), match, 4);
    }
    case "YYYY/MM/DD": {
      const match = yearFirstSlash.exec(cell);
      if (!match) return null;
      return localTime(Number(match[1]), Number(match[2]), Number(match[3]), match, 4);
    }
    case "YYYY":
      return yearPattern.test(cell) ? localTime(Number(cell), 1, 1, null, 0) : null;
    case "epoch seconds":
      return epochNumber.test(cell) ? { local: Math.round(Number(cell) * 1000), offset: 0 } : null;
    case "epoch milliseconds":
      return epochNumber.test(cell) ? { local: Math.round(Number(cell)), offset: 0 } : null;
    default: {
      const match = dayMonthPattern.exec(cell);
      if (!match || match[2] !== format.charAt(2)) return null;
      const first = Number(match[1]);
      const second = Number(match[3]);
      const dayFirst = format.startsWith("DD");
      return localTime(Number(match[4]), dayFirst ? second : first, dayFirst ? first : second, match, 5);
    }
  }
}

/** Reads one format in one time zone: the instant in ms, or NaN when the cell is not such a date. */
export type DateReader = (cell: string) => number;

export function dateReader(format: DateFormat, timeZone = "UTC"): DateReader {
  const clock: ZoneClock = zoneClock(timeZone);
  return (cell) => {
    const read = parseLocal(cell.trim(), format);
    if (read === null) return Number.NaN;
    return read.offset === null ? clock.toInstant(read.local) : read.local - read.offset;
  };
}

/** The formats `cell` reads as a valid date in (for detection; epoch time only at plausible sizes). */
export function dateCandidates(cell: string): DateFormat[] {
  const first = cell.charAt(0);
  if (first < "0" || first > "9") return [];
  if (likelyEpochMilliseconds.test(cell)) return ["epoch milliseconds"];
  if (likelyEpochSeconds.test(cell)) return ["epoch seconds"];
  if (yearPattern.test(cell)) return Number(cell) >= 1000 ? ["YYYY"] : [];
  if (cell.charAt(4) === "-") return parseLocal(cell, "YYYY-MM-DD") ? ["YYYY-MM-DD"] : [];
  if (cell.charAt(4) === "/") return parseLocal(cell, "YYYY/MM/DD") ? ["YYYY/MM/DD"] : [];
  const match = dayMonthPattern.exec(cell);
  if (!match) return [];
  const separator = match[2];
  return dateFormats.filter(
    (format) => swappedDayMonth(format) !== null && format.charAt(2) === separator && parseLocal(cell, format) !== null,
  );
}

/** Why `cell` is not a date in `format`, to finish a sentence that names the line and column. */
export function explainDate(cell: string, format: DateFormat): string {
  const text = cell.trim();
  if (text === "") return "the timestamp is empty";
  const swapped = swappedDayMonth(format);
  const hint = swapped && parseLocal(text, swapped) ? ` (it reads as ${swapped}: does the file mix formats?)` : "";
  return `${quoteCell(text)} is not a date in the format ${format}${hint}`;
}
