import { uuidPattern } from "@northstar/core/uuid";
import { queryRows, type RawQueryable } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import type { KpiAggregation, KpiDirection } from "./generated/prisma/enums.ts";
import { type Query, sql } from "./query.ts";
import { partFigures, periodPartsSql, rollupPartsSql } from "./rollup-parts.ts";

// Chart and KPI-list reads, computed in the database inside a workspace context: pass the ScopedDb
// of withContext, or database.reader(context) for one round trip. Row-level security picks the
// rows, so a KPI of another workspace reads as empty, never as an error. Both read the rollups
// (src/rollup-parts.ts) wherever whole hours or days of them fit the buckets, and raw points for
// the rest; the raw statements stay as the reference they must agree with (rawKpiSeriesQuery,
// rawKpiPeriodValueSql). Agree means: count, min, max and last equal; sum and avg equal up to float
// rounding, since the rollups add in numeric and the raw statements in float8 (relative 1e-9).

export const maxBuckets = 2000;
/** A century: well within the exact range of the millisecond arithmetic on both sides. */
export const maxRangeMs = 100 * 366 * 86_400_000;

/**
 * Calendar buckets: local hours, days, weeks (Monday first), months, quarters and years of a time
 * zone, each starting at its local midnight (a day across a daylight-saving change lasts 23 or 25
 * hours). PostgreSQL does the calendar arithmetic (date_trunc and generate_series on local times).
 */
export const calendarUnits = ["hour", "day", "week", "month", "quarter", "year"] as const;
export type CalendarUnit = (typeof calendarUnits)[number];

const hourMs = 3_600_000;
const dayMs = 86_400_000;
/** Each unit's step, and its shortest length (a daylight-saving change takes an hour) for bounding the count. */
const calendarSteps: Record<CalendarUnit, { step: string; nominalMs: number; shortestMs: number }> = {
  hour: { step: "1 hour", nominalMs: hourMs, shortestMs: hourMs },
  day: { step: "1 day", nominalMs: dayMs, shortestMs: dayMs - hourMs },
  week: { step: "7 days", nominalMs: 7 * dayMs, shortestMs: 7 * dayMs - hourMs },
  month: { step: "1 month", nominalMs: 30 * dayMs, shortestMs: 28 * dayMs - hourMs },
  quarter: { step: "3 months", nominalMs: 91 * dayMs, shortestMs: 89 * dayMs - hourMs },
  year: { step: "1 year", nominalMs: 365 * dayMs, shortestMs: 365 * dayMs - hourMs },
};

/** Which of a bucket's figures is its `value`: the KPI's aggregation (kpis.aggregation). */
const aggregationFigure = {
  SUM: "sum",
  AVERAGE: "avg",
  LAST: "last",
  MIN: "min",
  MAX: "max",
} as const satisfies Record<KpiAggregation, keyof KpiSeriesBucket>;

export interface KpiSeriesInput {
  kpiId: string;
  /**
   * The KPI's workspace, when the caller knows it (the API: the context workspace). Stated again
   * so that the rollups' primary keys, which lead with it, serve the statement without row-level
   * security too (an operator's or the benchmark's connection); under RLS it changes nothing.
   */
  workspaceId?: string;
  /**
   * Inclusive start. Even buckets: bucket k covers [from + k * width, from + (k + 1) * width).
   * Calendar buckets: the first is the one holding `from`, whole (it may start before `from`).
   */
  from: Date;
  /** Exclusive end: every bucket starts before it (the last calendar bucket may end after it). */
  to: Date;
  /**
   * Upper bound on the number of buckets, 1..2000; the width is the range split that many ways.
   * Calendar buckets chosen by "auto" keep to it; a width of exactly a day or a week becomes local
   * days or weeks, which may number one or two more (the first and last are whole).
   */
  buckets: number;
  /** Points before this instant are left out (the plan's history window); the buckets stay the same. */
  visibleFrom?: Date | null;
  /** Which figure is each bucket's `value`; default AVERAGE (what every chart showed before). */
  aggregation?: KpiAggregation;
  /** The IANA zone of calendar buckets (the workspace's); default UTC. Checked by PostgreSQL. */
  timeZone?: string;
  /** Calendar buckets of one unit, or "auto": the finest unit that keeps within `buckets`. */
  calendar?: CalendarUnit | "auto";
  /**
   * The comparison period: as many buckets of the same width, ending where this range's first
   * bucket starts (even buckets: [from - (to - from), from)).
   */
  previous?: boolean;
}

export interface KpiSeriesBucket {
  bucketStart: Date;
  /** Where the next bucket starts (calendar buckets differ in length: 23 h days, months). */
  bucketEnd: Date;
  /** The figure the KPI's aggregation names (sum, avg, last, min or max); null in an empty bucket. */
  value: number | null;
  /** Null, like avg, min, max and last, when the bucket has no points (a gap in the chart). */
  sum: number | null;
  avg: number | null;
  min: number | null;
  max: number | null;
  /** The value of the bucket's newest point (of points at the same instant, the smallest value). */
  last: number | null;
  count: number;
}

export interface KpiSeries {
  /** The width of every bucket, or for calendar buckets the unit's nominal length (a month: 30 days). */
  bucketWidthMs: number;
  /** Calendar buckets' unit, or null for even buckets. */
  calendar: CalendarUnit | null;
  timeZone: string;
  buckets: KpiSeriesBucket[];
}

function assertUuid(name: string, value: string): void {
  if (!uuidPattern.test(value)) throw new TypeError(`${name} must be a UUID, got ${JSON.stringify(value)}`);
}

function assertDate(name: string, value: Date): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${name} must be a valid Date`);
}

/** Checks the input and returns the bucket width and count: every bucket starts before `to`. */
export function seriesBuckets(input: KpiSeriesInput): { widthMs: number; count: number } {
  assertUuid("kpiId", input.kpiId);
  if (input.workspaceId !== undefined) assertUuid("workspaceId", input.workspaceId);
  assertDate("from", input.from);
  assertDate("to", input.to);
  const rangeMs = input.to.getTime() - input.from.getTime();
  if (rangeMs <= 0)
    throw new RangeError(`from (${input.from.toISOString()}) must be before to (${input.to.toISOString()})`);
  if (rangeMs > maxRangeMs) throw new RangeError("from and to must be at most 100 years apart");
  if (!Number.isInteger(input.buckets) || input.buckets < 1 || input.buckets > maxBuckets) {
    throw new RangeError(`buckets must be an integer from 1 to ${maxBuckets}, got ${String(input.buckets)}`);
  }
  if (input.aggregation !== undefined && !Object.hasOwn(aggregationFigure, input.aggregation))
    throw new RangeError(`aggregation must be one of ${Object.keys(aggregationFigure).join(", ")}`);
  const widthMs = Math.ceil(rangeMs / input.buckets);
  return { widthMs, count: Math.ceil(rangeMs / widthMs) };
}

/** At most how many buckets of `unit` a range of `rangeMs` touches (the first and last may be partial). */
export function calendarBound(unit: CalendarUnit, rangeMs: number): number {
  return Math.ceil(rangeMs / calendarSteps[unit].shortestMs) + 1;
}

/**
 * The calendar unit of a series, or null for even buckets: the one asked for; with "auto" the
 * finest within `buckets` (none fits: even buckets); without, local days or weeks when the even
 * width is exactly a day or a week.
 */
export function seriesCalendar(input: KpiSeriesInput): CalendarUnit | null {
  const { widthMs } = seriesBuckets(input);
  const rangeMs = input.to.getTime() - input.from.getTime();
  if (input.calendar === "auto")
    return calendarUnits.find((unit) => calendarBound(unit, rangeMs) <= input.buckets) ?? null;
  if (input.calendar !== undefined) {
    if (!calendarUnits.includes(input.calendar))
      throw new RangeError(`calendar must be "auto" or one of ${calendarUnits.join(", ")}`);
    if (calendarBound(input.calendar, rangeMs) > maxBuckets + 1)
      throw new RangeError(`a range this long has more than ${maxBuckets} buckets of a ${input.calendar}`);
    return input.calendar;
  }
  if (widthMs === dayMs) return "day";
  if (widthMs === 7 * dayMs) return "week";
  return null;
}

// A bucket's figures over the points `p` it holds. `last` is the least [-epoch, value] pair, which
// needs no ordered aggregate (and no sort) per bucket.
const bucketFigures = Prisma.sql`
           sum(p.value) AS sum, avg(p.value) AS avg, min(p.value) AS min, max(p.value) AS max,
           (min(ARRAY[-date_part('epoch', p."timestamp"), p.value]))[2] AS last,
           count(*)::int AS count`;

/** The points of the bucketing statements: a series' KPI, in the plan's window. */
function pointsOf(input: KpiSeriesInput): Prisma.Sql {
  return Prisma.sql`kpi_data_points AS p WHERE p.kpi_id = ${input.kpiId}::uuid`;
}

/** A row of the bucketing statement; even buckets get their end (and all their `value`) in seriesFromRows. */
export type BucketRow = Omit<KpiSeriesBucket, "value" | "bucketEnd"> & { bucketEnd?: Date };

/**
 * The raw bucketing statement (the reference kpiSeriesQuery agrees with, and its path for even
 * buckets narrower than an hour or not on whole hours), answered from
 * kpi_data_points_series_idx by index-only scans. Even buckets: date_bin over the range, one row
 * per bucket that has points (seriesFromRows fills the gaps). Calendar buckets: every bucket, gaps
 * included, from generate_series over local times in the zone (so a day is 23 or 25 hours across
 * a daylight-saving change), each summed over [start, end) by its own index range.
 */
export function rawKpiSeriesQuery(input: KpiSeriesInput): Query<BucketRow> {
  const calendar = seriesCalendar(input);
  if (calendar === null) {
    const { from, to } = evenRange(input);
    const { widthMs } = seriesBuckets(input);
    const visibleFrom = input.visibleFrom && input.visibleFrom > from ? input.visibleFrom : from;
    return sql<BucketRow>`
    SELECT date_bin(${widthMs}::bigint * interval '1 millisecond', p."timestamp", ${from}::timestamptz) AS "bucketStart",
           ${bucketFigures}
      FROM ${pointsOf(input)}
       AND p."timestamp" >= ${visibleFrom}::timestamptz
       AND p."timestamp" < ${to}::timestamptz
     GROUP BY 1`;
  }
  const visible = input.visibleFrom ? Prisma.sql`AND p."timestamp" >= ${input.visibleFrom}::timestamptz` : Prisma.empty;
  return sql<BucketRow>`
    WITH ${calendarBucketsSql(input, calendar)}
    SELECT b.start AS "bucketStart", b."end" AS "bucketEnd", f.*
      FROM buckets AS b
     CROSS JOIN LATERAL (
       SELECT ${bucketFigures}
         FROM ${pointsOf(input)}
          AND p."timestamp" >= b.start AND p."timestamp" < b."end" ${visible}) AS f
     ORDER BY b.start`;
}

/**
 * The WITH entries (no leading WITH) of a calendar series' buckets, gaps included, ending in
 * `buckets (start, "end")`: generate_series over local times in the zone (so a day is 23 or 25
 * hours across a daylight-saving change), or for the comparison period as many moved back.
 */
export function calendarBucketsSql(input: KpiSeriesInput, calendar: CalendarUnit): Prisma.Sql {
  const timeZone = input.timeZone ?? "UTC";
  const step = calendarSteps[calendar].step;
  // Local bucket starts: hours step over instants (an hour is an hour, also at a change); the
  // others over local wall-clock times, turned into instants in the zone.
  const starts =
    calendar === "hour"
      ? Prisma.sql`SELECT g.start, g.start + interval '1 hour' AS "end"
           FROM generate_series(date_trunc('hour', ${input.from}::timestamptz, ${timeZone}::text),
                                ${input.to}::timestamptz, interval '1 hour') AS g(start)`
      : Prisma.sql`SELECT g.local AT TIME ZONE ${timeZone}::text AS start,
                (g.local + ${step}::interval) AT TIME ZONE ${timeZone}::text AS "end"
           FROM generate_series(date_trunc(${calendar}::text, ${input.from}::timestamptz AT TIME ZONE ${timeZone}::text),
                                ${input.to}::timestamptz AT TIME ZONE ${timeZone}::text, ${step}::interval) AS g(local)`;
  // The comparison period: the same number of buckets, moved back by that many steps.
  const shifted = input.previous
    ? calendar === "hour"
      ? Prisma.sql`SELECT s.start - n.n * interval '1 hour' AS start, s."end" - n.n * interval '1 hour' AS "end"
           FROM series AS s, (SELECT count(*)::int AS n FROM series) AS n`
      : Prisma.sql`SELECT ((s.start AT TIME ZONE ${timeZone}::text) - n.n * ${step}::interval) AT TIME ZONE ${timeZone}::text AS start,
                ((s."end" AT TIME ZONE ${timeZone}::text) - n.n * ${step}::interval) AT TIME ZONE ${timeZone}::text AS "end"
           FROM series AS s, (SELECT count(*)::int AS n FROM series) AS n`
    : Prisma.sql`SELECT s.start, s."end" FROM series AS s`;
  return Prisma.sql`
    series AS (SELECT b.start, b."end" FROM (${starts}) AS b WHERE b.start < ${input.to}::timestamptz),
    -- Materialized: the bucket bounds reach the scan as plain values, so that row-level
    -- security lets them into the index condition (AT TIME ZONE is not leakproof).
    buckets AS MATERIALIZED (${shifted})`;
}

/**
 * The bucketing statement of a chart: rawKpiSeriesQuery's rows, read from the rollups wherever
 * whole hours or days fit the buckets. Even buckets on whole hours (width and start): date_bin over
 * the rollups. Calendar buckets (any unit, any zone): the same buckets as rawKpiSeriesQuery, each
 * filled from the rollups over [first start, last end), keyed as date_trunc keys them (hours:
 * date_bin from the first start, as generate_series steps them). Anything else: the raw statement.
 */
export function kpiSeriesQuery(input: KpiSeriesInput): Query<BucketRow> {
  const calendar = seriesCalendar(input);
  const owner = {
    kpiId: Prisma.sql`${input.kpiId}::uuid`,
    ...(input.workspaceId === undefined ? {} : { workspaceId: Prisma.sql`${input.workspaceId}::uuid` }),
  };
  if (calendar === null) {
    const { from, to } = evenRange(input);
    const { widthMs } = seriesBuckets(input);
    if (widthMs % hourMs !== 0 || from.getTime() % hourMs !== 0) return rawKpiSeriesQuery(input);
    const visibleFrom = input.visibleFrom && input.visibleFrom > from ? input.visibleFrom : from;
    const parts = rollupPartsSql({
      ...owner,
      from: Prisma.sql`${visibleFrom}::timestamptz`,
      to: Prisma.sql`${to}::timestamptz`,
      bucket: (instant) =>
        Prisma.sql`date_bin(${widthMs}::bigint * interval '1 millisecond', ${instant}, ${from}::timestamptz)`,
    });
    return sql<BucketRow>`
    WITH ${parts}
    SELECT start AS "bucketStart", ${partFigures} FROM parts GROUP BY start`;
  }
  const timeZone = input.timeZone ?? "UTC";
  // Points count from the first bucket's start, or from the plan's window if that is later.
  const lowest = input.visibleFrom
    ? Prisma.sql`greatest(min(b.start), ${input.visibleFrom}::timestamptz)`
    : Prisma.sql`min(b.start)`;
  const parts = rollupPartsSql({
    ...owner,
    from: Prisma.sql`(SELECT r.lo FROM bounds AS r)`,
    to: Prisma.sql`(SELECT r.hi FROM bounds AS r)`,
    bucket: (instant) =>
      calendar === "hour"
        ? Prisma.sql`date_bin(interval '1 hour', ${instant}, (SELECT r.origin FROM bounds AS r))`
        : Prisma.sql`date_trunc(${calendar}::text, ${instant}, ${timeZone}::text)`,
    ...(calendar === "day" ? { dayZone: timeZone } : {}),
  });
  return sql<BucketRow>`
    WITH ${calendarBucketsSql(input, calendar)},
    bounds AS MATERIALIZED (
      SELECT min(b.start) AS origin, ${lowest} AS lo, max(b."end") AS hi
        FROM buckets AS b
    ), ${parts}, figures AS (
      SELECT start, ${partFigures} FROM parts GROUP BY start
    )
    SELECT b.start AS "bucketStart", b."end" AS "bucketEnd", f.sum, f.avg, f.min, f.max, f.last,
           coalesce(f.count, 0) AS count
      FROM buckets AS b
      LEFT JOIN figures AS f ON f.start = b.start
     ORDER BY b.start`;
}

/** Even buckets' range: the input's, or for the comparison period the same length just before it. */
function evenRange(input: KpiSeriesInput): { from: Date; to: Date } {
  if (!input.previous) return { from: input.from, to: input.to };
  return { from: new Date(2 * input.from.getTime() - input.to.getTime()), to: input.from };
}

/** How many of a KPI's points lie before `before` (none asked: zero), for "upgrade to see N older points". */
export function hiddenPointsQuery(kpiId: string, before: Date | null): Query<{ points: number }> {
  assertUuid("kpiId", kpiId);
  return sql<{ points: number }>`
    SELECT count(*)::int AS points
      FROM kpi_data_points AS p
     WHERE ${before}::timestamptz IS NOT NULL
       AND p.kpi_id = ${kpiId}::uuid AND p."timestamp" < ${before}::timestamptz`;
}

/** The rows of kpiSeriesQuery(input) as the full series: every bucket, gaps included, each with its `value`. */
export function seriesFromRows(input: KpiSeriesInput, rows: readonly BucketRow[]): KpiSeries {
  const figure = aggregationFigure[input.aggregation ?? "AVERAGE"];
  const withValue = (row: BucketRow, bucketEnd: Date): KpiSeriesBucket => ({ ...row, bucketEnd, value: row[figure] });
  const timeZone = input.timeZone ?? "UTC";
  const calendar = seriesCalendar(input);
  if (calendar !== null) {
    // Empty calendar buckets come back with a count of 0 and null figures (sum of no rows is null).
    return {
      bucketWidthMs: calendarSteps[calendar].nominalMs,
      calendar,
      timeZone,
      buckets: rows.map((row) => withValue(row, row.bucketEnd ?? row.bucketStart)),
    };
  }
  const { widthMs, count } = seriesBuckets(input);
  const start = evenRange(input).from.getTime();
  const buckets: KpiSeriesBucket[] = Array.from({ length: count }, (_, index) => ({
    bucketStart: new Date(start + index * widthMs),
    bucketEnd: new Date(start + (index + 1) * widthMs),
    value: null,
    sum: null,
    avg: null,
    min: null,
    max: null,
    last: null,
    count: 0,
  }));
  // Gaps are filled here rather than by a generate_series join: cheaper, and the same chart.
  for (const row of rows) {
    const index = Math.round((row.bucketStart.getTime() - start) / widthMs);
    buckets[index] = withValue(row, new Date(row.bucketStart.getTime() + widthMs));
  }
  return { bucketWidthMs: widthMs, calendar: null, timeZone, buckets };
}

/** A KPI's points in [from, to), in at most `buckets` even or calendar buckets, gaps included. */
export async function kpiSeries(db: RawQueryable, input: KpiSeriesInput): Promise<KpiSeries> {
  return seriesFromRows(input, await queryRows(db, kpiSeriesQuery(input)));
}

// ---------------------------------------------------------------------------------------------

/**
 * A period of the dashboard: the calendar day, week (from Monday), month, quarter or year that
 * holds now, in the workspace's time zone; and the step back to the period before it.
 */
export const summaryPeriods = {
  day: "1 day",
  week: "7 days",
  month: "1 month",
  quarter: "3 months",
  year: "1 year",
} as const;

export type SummaryPeriod = keyof typeof summaryPeriods;

export const maxSummaries = 200;

export interface KpiSummariesInput {
  /** The context workspace (stated again so that the statement means the same without RLS). */
  workspaceId: string;
  period: SummaryPeriod;
  category?: string;
  /** Only this KPI, active or archived (its page); otherwise every active KPI. */
  kpiId?: string;
  /** 1..200, default 50; ordered by category, then name. */
  limit?: number;
  /** The instant the periods are taken at (the API's clock); default the transaction's now(). */
  now?: Date;
}

/**
 * A KPI with its value for the current period and for the previous one, each as its aggregation
 * adds up (progress and change: @northstar/core's summarizeKpi).
 */
export interface KpiSummaryRow {
  id: string;
  name: string;
  unit: string;
  category: string;
  direction: KpiDirection;
  aggregation: KpiAggregation;
  targetValue: number | null;
  /** The period's value so far (kpiPeriodValueSql); null when it has no points (LAST: no point yet). */
  currentValue: number | null;
  /** When the KPI's newest point was taken (kpis.current_value_at). */
  currentValueAt: Date | null;
  /** The previous period's value up to the same point in it: this week so far against last week so far. */
  previousValue: number | null;
  /** The newest value of the KPI (kpis.current_value), whatever its aggregation. */
  latestValue: number | null;
  periodStart: Date;
  previousPeriodStart: Date;
  /** The instant in the previous period as far into it as now is into the current one. */
  previousPeriodEnd: Date;
}

function checkedSummariesInput(input: KpiSummariesInput): KpiSummariesInput & { limit: number } {
  assertUuid("workspaceId", input.workspaceId);
  if (input.kpiId !== undefined) assertUuid("kpiId", input.kpiId);
  if (!Object.hasOwn(summaryPeriods, input.period))
    throw new RangeError(`period must be one of ${Object.keys(summaryPeriods).join(", ")}`);
  if (input.now !== undefined) assertDate("now", input.now);
  const limit = input.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxSummaries) {
    throw new RangeError(`limit must be an integer from 1 to ${maxSummaries}, got ${String(limit)}`);
  }
  return { ...input, limit };
}

/**
 * The current and previous period of a workspace, as one row (period_start, previous_start,
 * previous_end, at): calendar periods at local midnight in the workspace's time zone (so a day
 * across a daylight-saving change is 23 or 25 hours). `previous_end` is as far into the previous
 * period as `at` is into the current one, in local time (the 31st steps back to the 28th in February).
 */
export function periodBoundsSql(workspaceId: string, period: SummaryPeriod, now: Date | undefined): Prisma.Sql {
  assertUuid("workspaceId", workspaceId);
  if (!Object.hasOwn(summaryPeriods, period))
    throw new RangeError(`period must be one of ${Object.keys(summaryPeriods).join(", ")}`);
  const at = now === undefined ? Prisma.sql`now()` : Prisma.sql`${now}::timestamptz`;
  const step = summaryPeriods[period];
  return Prisma.sql`
    SELECT date_trunc(${period}::text, n.at, w.time_zone) AS period_start,
           (date_trunc(${period}::text, n.at AT TIME ZONE w.time_zone) - ${step}::interval) AT TIME ZONE w.time_zone AS previous_start,
           ((n.at AT TIME ZONE w.time_zone) - ${step}::interval) AT TIME ZONE w.time_zone AS previous_end,
           n.at
      FROM workspaces AS w, (SELECT ${at} AS at) AS n
     WHERE w.id = ${workspaceId}::uuid`;
}

/** A KPI's value over a period as kpiPeriodValueSql or rawKpiPeriodValueSql adds it up. */
export type PeriodValueSql = (kpi: Prisma.Sql, from: Prisma.Sql, to: Prisma.Sql) => Prisma.Sql;

/**
 * A KPI's value over [from, to] as its aggregation adds up: SUM the total, AVERAGE the mean,
 * MIN / MAX the extreme of the points in it (null without any); LAST the newest value at or before
 * `to`, however old (a level such as MRR holds until it changes). `kpi` is the alias of a kpis row.
 * SUM, AVERAGE, MIN and MAX read the rollups (periodPartsSql: `from` is a period start, a local
 * midnight of the workspace's zone) and raw points only for the ragged hours; LAST is one probe of
 * kpi_data_points_series_idx, which no rollup beats. CASE runs only the branch it takes.
 */
export const kpiPeriodValueSql: PeriodValueSql = (kpi, from, to) => {
  const parts = periodPartsSql({
    kpiId: Prisma.sql`${kpi}.id`,
    workspaceId: Prisma.sql`${kpi}.workspace_id`,
    from,
    // `to` is inclusive; timestamptz counts microseconds.
    to: Prisma.sql`(${to} + interval '1 microsecond')`,
  });
  return Prisma.sql`CASE WHEN ${kpi}.aggregation = 'LAST' THEN (${recentLastValueSql(kpi, to)})
      ELSE (
        WITH ${parts}
        SELECT CASE ${kpi}.aggregation WHEN 'SUM' THEN sum(parts.sum)::float8 WHEN 'MIN' THEN min(parts.min)
                    WHEN 'MAX' THEN max(parts.max) ELSE (sum(parts.sum) / nullif(sum(parts.count), 0))::float8 END
          FROM parts) END`;
};

function lastValueSql(kpi: Prisma.Sql, to: Prisma.Sql, since: Prisma.Sql = Prisma.empty): Prisma.Sql {
  return Prisma.sql`SELECT p.value FROM kpi_data_points AS p
         WHERE p.kpi_id = ${kpi}.id AND p.workspace_id = ${kpi}.workspace_id AND p."timestamp" <= ${to} ${since}
         ORDER BY p."timestamp" DESC, p.value LIMIT 1`;
}

/**
 * lastValueSql, asked of the last 31 days first. kpi_data_points is partitioned by month with a
 * default partition, so an open-ended probe cannot read the months in order: it probes every month
 * (a Merge Append). Bounded on both sides, the months outside are pruned at run time and the
 * probe reads one or two; only a KPI with no point in those days asks the whole history. A value is
 * never null, so coalesce takes the first probe's answer whenever it has one.
 */
function recentLastValueSql(kpi: Prisma.Sql, to: Prisma.Sql): Prisma.Sql {
  const recent = lastValueSql(kpi, to, Prisma.sql`AND p."timestamp" > ${to} - interval '31 days'`);
  return Prisma.sql`SELECT coalesce((${recent}), (${lastValueSql(kpi, to)}))`;
}

/** kpiPeriodValueSql from the raw points only: the reference it agrees with. */
export const rawKpiPeriodValueSql: PeriodValueSql = (kpi, from, to) =>
  Prisma.sql`CASE WHEN ${kpi}.aggregation = 'LAST' THEN (${lastValueSql(kpi, to)})
      ELSE (
        SELECT CASE ${kpi}.aggregation WHEN 'SUM' THEN sum(p.value) WHEN 'MIN' THEN min(p.value)
                    WHEN 'MAX' THEN max(p.value) ELSE avg(p.value) END
          FROM kpi_data_points AS p
         WHERE p.kpi_id = ${kpi}.id AND p.workspace_id = ${kpi}.workspace_id
           AND p."timestamp" >= ${from} AND p."timestamp" <= ${to}) END`;

/**
 * The KPI-list statement: per active KPI, the current period's value (from its start to now) and
 * the previous period's up to the same point, each as the KPI's aggregation adds up. The `value`
 * tie-break of LAST is also what keeps the planner on kpi_data_points_series_idx: only it yields
 * that order without a sort, while the unique (workspace_id, kpi_id, timestamp, source) index
 * looks cheaper to an estimate that takes RLS's workspace_id and kpi_id for independent columns.
 */
export function kpiSummariesQuery(
  input: KpiSummariesInput,
  periodValue: PeriodValueSql = kpiPeriodValueSql,
): Query<KpiSummaryRow> {
  const { workspaceId, period, category, kpiId, limit, now } = checkedSummariesInput(input);
  const byCategory = category === undefined ? Prisma.empty : Prisma.sql`AND k.category = ${category}`;
  const which = kpiId === undefined ? Prisma.sql`k.is_active` : Prisma.sql`k.id = ${kpiId}::uuid`;
  const k = Prisma.raw("k");
  return sql<KpiSummaryRow>`
    SELECT k.id::text AS id, k.name, k.unit, k.category, k.direction::text AS direction,
           k.aggregation::text AS aggregation, k.target_value AS "targetValue",
           ${periodValue(k, Prisma.sql`b.period_start`, Prisma.sql`b.at`)} AS "currentValue",
           k.current_value_at AS "currentValueAt",
           ${periodValue(k, Prisma.sql`b.previous_start`, Prisma.sql`b.previous_end`)} AS "previousValue",
           k.current_value AS "latestValue",
           b.period_start AS "periodStart", b.previous_start AS "previousPeriodStart",
           b.previous_end AS "previousPeriodEnd"
      FROM kpis AS k
     CROSS JOIN (${periodBoundsSql(workspaceId, period, now)}) AS b
     WHERE k.workspace_id = ${workspaceId}::uuid AND ${which} ${byCategory}
     ORDER BY k.category, k.name, k.id
     LIMIT ${limit}::int`;
}

/** The active KPIs of the context workspace with their value for the current and the previous `period`. */
export async function kpiSummaries(db: RawQueryable, input: KpiSummariesInput): Promise<KpiSummaryRow[]> {
  return queryRows(db, kpiSummariesQuery(input));
}
