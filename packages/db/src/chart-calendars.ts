import { LRUCache } from "lru-cache";
import type { KpiSeries, KpiSeriesInput } from "./series.ts";
import { wholeDaysUnit } from "./whole-days.ts";

// The bucket bounds of whole-days charts (src/whole-days.ts), kept per process. A chart's local
// days, weeks or months are a function of its zone, unit and range alone, the same for every KPI
// and every workspace in that zone, and the same all day for a dashboard's "last 365 days". Given
// them, the chart statement reads only the daily rollups: generating a year of local days in the
// zone and sending their bounds was a third of its time (a year of days: 1.64x the 365-row floor
// with them, see the README). They are PostgreSQL's own, from an earlier answer: the host holds no
// time zone rules of its own. Kept an hour at most, so that new zone rules loaded by the database
// (a tzdata update and a restart) reach charts within the hour.

/** Both periods' bounds, where known: PackedWholeDays.bounds of an earlier answer. */
export interface ChartCalendars {
  current: readonly number[] | null;
  previous: readonly number[] | null;
}

export const noCalendars: ChartCalendars = { current: null, previous: null };

const calendars = new LRUCache<string, readonly number[]>({ max: 1_000, ttl: 3_600_000 });

function calendarKey(input: KpiSeriesInput): string | null {
  const unit = wholeDaysUnit(input);
  if (unit === null || input.timeZone === undefined) return null;
  return [unit, input.timeZone, input.from.getTime(), input.to.getTime(), input.previous ? "previous" : ""].join("|");
}

/** The bounds of a whole-days series' buckets, if an earlier answer gave them. */
export function knownCalendar(input: KpiSeriesInput): readonly number[] | null {
  const key = calendarKey(input);
  return key === null ? null : (calendars.get(key) ?? null);
}

/** Drops the bounds of a whole-days series: its rows did not fit them. */
export function forgetCalendar(input: KpiSeriesInput): void {
  const key = calendarKey(input);
  if (key !== null) calendars.delete(key);
}

/** Keeps the bounds of `series`, a whole-days series of `input` as read. */
export function rememberCalendar(input: KpiSeriesInput, series: KpiSeries): void {
  const key = calendarKey(input);
  const last = series.buckets.at(-1);
  if (key === null || !last || calendars.has(key)) return;
  calendars.set(key, [...series.buckets.map((bucket) => bucket.bucketStart.getTime()), last.bucketEnd.getTime()]);
}
