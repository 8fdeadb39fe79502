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
 * The CTEs of a whole-days series (it throws for a series wholeDaysUnit refuses): `buckets`
 * (start, end) and `figures` (start and the bucket's figures, for buckets with points only). With
 * the buckets' bounds `known` (PackedWholeDays.bounds of an earlier answer), `figures` alone.
 */
function wholeDaysSql(input: KpiSeriesInput, known: readonly number[] | null = null): Prisma.Sql {
  const unit = wholeDaysUnit(input);
  if (unit === null || input.workspaceId === undefined || input.timeZone === undefined)
    throw new RangeError("whole days: not a series of whole local days in a workspace's zone");
  const owner = Prisma.sql`d.workspace_id = ${input.workspaceId}::uuid AND d.kpi_id = ${input.kpiId}::uuid`;
  // Bounds enter the scan as plain values (CTE columns): row-level security lets only leakproof
  // conditions into an index, and AT TIME ZONE is not one.
  const [lo, hi] = known ? [known[0], known[known.length - 1]] : [undefined, undefined];
  const range =
    lo !== undefined && hi !== undefined
      ? Prisma.sql`d.bucket_start >= ${new Date(lo)}::timestamptz AND d.bucket_start < ${new Date(hi)}::timestamptz`
      : Prisma.sql`d.bucket_start >= (SELECT r.lo FROM bounds AS r) AND d.bucket_start < (SELECT r.hi FROM bounds AS r)`;
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
  if (known) return Prisma.sql`WITH figures AS (${figures})`;
  return Prisma.sql`
    WITH ${calendarBucketsSql(input, unit)},
    bounds AS MATERIALIZED (SELECT min(b.start) AS lo, max(b."end") AS hi FROM buckets AS b),
    figures AS (${figures})`;
}

/**
 * kpiSeriesQuery's rows from the daily rollups alone, for a series wholeDaysUnit accepts (it
 * throws otherwise). A day's row is its own bucket; longer units sum the days in them.
 */
export function wholeDaysSeriesQuery(input: KpiSeriesInput): Query<BucketRow> {
  return sql<BucketRow>`
    ${wholeDaysSql(input)}
    SELECT b.start AS "bucketStart", b."end" AS "bucketEnd", f.sum, f.avg, f.min, f.max, f.last,
           coalesce(f.count, 0) AS count
      FROM buckets AS b
      LEFT JOIN figures AS f ON f.start = b.start
     ORDER BY b.start`;
}

/** Milliseconds since the epoch as float8: cheaper than extract's numeric, exact to the microsecond. */
export const epochMsSql = (column: Prisma.Sql) => Prisma.sql`date_part('epoch', ${column}) * 1000`;

/** A column of figures: null when no bucket has points (array_agg of no rows). */
type FigureColumn = number[] | null;

/**
 * A whole-days series as packed, in columns: the buckets' bounds, then the figures of the buckets
 * with points, both in start order (a sorted subquery's order, which array_agg keeps).
 */
export interface PackedWholeDays {
  /**
   * Every bucket's start in ms, in order, then the last one's end: calendar buckets follow each
   * other (a bucket ends where the next starts), so the starts are the ends too. Null when the
   * statement was given them.
   */
  bounds: number[] | null;
  /** Start ms, sum, avg, min, max, last and count of each bucket with points. */
  figures: FigureColumn[];
}

/**
 * wholeDaysSeriesQuery's answer as one JSON value (PackedWholeDays), joined by the caller
 * (wholeDaysRows). Columns, not rows: json_build_array per row costs PostgreSQL more than
 * the scan (it looks up each argument's type per call), where array_to_json of a column looks
 * once; and without the join PostgreSQL sorts and merges nothing.
 */
export function packedWholeDaysSql(input: KpiSeriesInput, known: readonly number[] | null = null): Prisma.Sql {
  const column = (expression: Prisma.Sql, order: Prisma.Sql = Prisma.empty) =>
    Prisma.sql`array_to_json(array_agg(${expression}${order}))`;
  const bounds = known
    ? Prisma.sql`NULL::json`
    : Prisma.sql`(SELECT array_to_json(array_append(array_agg(${epochMsSql(Prisma.sql`b.start`)} ORDER BY b.start),
                                                    max(${epochMsSql(Prisma.sql`b."end"`)})))
                    FROM buckets AS b)`;
  return Prisma.sql`(${wholeDaysSql(input, known)}
    SELECT json_build_object(
             'bounds', ${bounds},
             'figures', (SELECT json_build_array(${column(epochMsSql(Prisma.sql`f.start`))}, ${column(Prisma.sql`f.sum`)},
                                                 ${column(Prisma.sql`f.avg`)}, ${column(Prisma.sql`f.min`)},
                                                 ${column(Prisma.sql`f.max`)}, ${column(Prisma.sql`f.last`)},
                                                 ${column(Prisma.sql`f.count`)})
                           FROM (SELECT * FROM figures ORDER BY start) AS f))::text)`;
}

/**
 * PackedWholeDays as wholeDaysSeriesQuery's rows: every bucket in order, empty ones with a count
 * of 0. Null if a day's row starts where no bucket does: rows written under other zone rules than
 * the bounds (a tzdata update between them); the caller asks the general statement.
 */
export function wholeDaysRows(packed: PackedWholeDays, known: readonly number[] | null = null): BucketRow[] | null {
  const bounds = known ?? packed.bounds;
  if (!bounds) throw new Error("whole days: no bucket bounds, given or read");
  const [starts = null, sums = null, avgs = null, mins = null, maxes = null, lasts = null, counts = null] =
    packed.figures;
  const rows: BucketRow[] = [];
  // Both lists are in start order: one walk pairs them.
  let next = 0;
  const figure = (column: FigureColumn) => column?.[next] ?? null;
  for (let bucket = 0; bucket + 1 < bounds.length; bucket++) {
    const start = Math.round(bounds[bucket] ?? 0);
    const edges = { bucketStart: new Date(start), bucketEnd: new Date(Math.round(bounds[bucket + 1] ?? 0)) };
    const figureStart = figure(starts);
    if (figureStart !== null && Math.round(figureStart) === start) {
      rows.push({
        ...edges,
        sum: figure(sums),
        avg: figure(avgs),
        min: figure(mins),
        max: figure(maxes),
        last: figure(lasts),
        count: figure(counts) ?? 0,
      });
      next++;
    } else {
      rows.push({ ...edges, sum: null, avg: null, min: null, max: null, last: null, count: 0 });
    }
  }
  return next === (starts?.length ?? 0) ? rows : null;
}
