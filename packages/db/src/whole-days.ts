import { Prisma } from "./generated/prisma/client.ts";
import { type Query, sql } from "./query.ts";
import { partFigures } from "./rollup-parts.ts";
import {
  type BucketRow,
  type CalendarUnit,
  calendarBound,
  calendarBucketsSql,
  type KpiSeriesInput,
  seriesCalendar,
} from "./series.ts";

// The dashboard chart's common case, read straight from the daily rollups: local days, weeks,
// months, quarters or years of the workspace's own zone, none cut by the plan's window. Calendar
// buckets are whole (the last one too: it ends after `to`), and a daily rollup row is a whole
// local day of the workspace's zone (its zone change rewrites them in the same transaction), so
// every bucket is exactly the sum of the daily rows inside it: no ragged hours, no raw points, and
// none of the general statement's gap and edge bookkeeping (src/rollup-parts.ts), which costs
// twice the reading here. It is right only in the workspace's current zone: kpiChartQuery states
// the zone it read beside the answer, and the caller asks again the general way on a mismatch.

const hourMs = 3_600_000;
const dayMs = 86_400_000;

/** Each unit's longest local length (a daylight-saving change adds an hour). */
const longestMs: Record<Exclude<CalendarUnit, "hour">, number> = {
  day: dayMs + hourMs,
  week: 7 * dayMs + hourMs,
  month: 31 * dayMs + hourMs,
  quarter: 92 * dayMs + hourMs,
  year: 366 * dayMs + hourMs,
};

/**
 * The unit of a series the daily rollups answer alone, or null: calendar buckets of a day or
 * longer in a stated zone and workspace, with the plan's window (if any) before the earliest
 * instant the first bucket can start (the comparison's: as many units again before).
 */
export function wholeDaysUnit(input: KpiSeriesInput): Exclude<CalendarUnit, "hour"> | null {
  const calendar = seriesCalendar(input);
  if (calendar === null || calendar === "hour" || input.workspaceId === undefined || input.timeZone === undefined)
    return null;
  if (!input.visibleFrom) return calendar;
  const units = input.previous ? calendarBound(calendar, input.to.getTime() - input.from.getTime()) + 1 : 1;
  return input.visibleFrom.getTime() <= input.from.getTime() - units * longestMs[calendar] ? calendar : null;
}

/**
 * kpiSeriesQuery's rows from the daily rollups alone, for a series wholeDaysUnit accepts (it
 * throws otherwise). A day's row is its own bucket; longer units sum the days in them.
 */
export function wholeDaysSeriesQuery(input: KpiSeriesInput): Query<BucketRow> {
  const unit = wholeDaysUnit(input);
  if (unit === null || input.workspaceId === undefined || input.timeZone === undefined)
    throw new RangeError("wholeDaysSeriesQuery: not a series of whole local days in a workspace's zone");
  const owner = Prisma.sql`d.workspace_id = ${input.workspaceId}::uuid AND d.kpi_id = ${input.kpiId}::uuid`;
  // Bounds enter the scan as plain values (CTE columns): row-level security lets only leakproof
  // conditions into an index, and AT TIME ZONE is not one.
  const range = Prisma.sql`d.bucket_start >= (SELECT r.lo FROM bounds AS r) AND d.bucket_start < (SELECT r.hi FROM bounds AS r)`;
  const figures =
    unit === "day"
      ? Prisma.sql`
      SELECT d.bucket_start AS start, d.sum::float8 AS sum, (d.sum / nullif(d.count, 0))::float8 AS avg,
             d.min, d.max, d.last_value AS last, d.count
        FROM kpi_rollups_daily AS d WHERE ${owner} AND ${range}`
      : Prisma.sql`
      SELECT start, ${partFigures}
        FROM (SELECT date_trunc(${unit}::text, d.bucket_start, ${input.timeZone}::text) AS start, d.sum, d.count,
                     d.min, d.max, d.last_at, d.last_value
                FROM kpi_rollups_daily AS d WHERE ${owner} AND ${range}) AS parts
       GROUP BY start`;
  return sql<BucketRow>`
    WITH ${calendarBucketsSql(input, unit)},
    bounds AS MATERIALIZED (SELECT min(b.start) AS lo, max(b."end") AS hi FROM buckets AS b),
    figures AS (${figures})
    SELECT b.start AS "bucketStart", b."end" AS "bucketEnd", f.sum, f.avg, f.min, f.max, f.last,
           coalesce(f.count, 0) AS count
      FROM buckets AS b
      LEFT JOIN figures AS f ON f.start = b.start
     ORDER BY b.start`;
}
