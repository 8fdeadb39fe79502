import { uuidPattern } from "@northstar/core/uuid";
import { queryRows, type RawQueryable } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import type { KpiDirection } from "./generated/prisma/enums.ts";
import { type Query, sql } from "./query.ts";

// Chart and KPI-list reads, computed in the database inside a workspace context: pass the ScopedDb
// of withContext, or database.reader(context) for one round trip. Row-level security picks the
// rows, so a KPI of another workspace reads as empty, never as an error.

export const maxBuckets = 2000;
/** A century: well within the exact range of the millisecond arithmetic on both sides. */
export const maxRangeMs = 100 * 366 * 86_400_000;

export interface KpiSeriesInput {
  kpiId: string;
  /** Inclusive start; bucket k covers [from + k * width, from + (k + 1) * width). */
  from: Date;
  /** Exclusive end. */
  to: Date;
  /** Upper bound on the number of buckets, 1..2000; the width is the range split that many ways. */
  buckets: number;
  /** Points before this instant are left out (the plan's history window); the buckets stay the same. */
  visibleFrom?: Date | null;
}

export interface KpiSeriesBucket {
  bucketStart: Date;
  /** Null, like min, max and last, when the bucket has no points (a gap in the chart). */
  avg: number | null;
  min: number | null;
  max: number | null;
  /** The value of the bucket's newest point (of points at the same instant, the smallest value). */
  last: number | null;
  count: number;
}

export interface KpiSeries {
  bucketWidthMs: number;
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
  assertDate("from", input.from);
  assertDate("to", input.to);
  const rangeMs = input.to.getTime() - input.from.getTime();
  if (rangeMs <= 0)
    throw new RangeError(`from (${input.from.toISOString()}) must be before to (${input.to.toISOString()})`);
  if (rangeMs > maxRangeMs) throw new RangeError("from and to must be at most 100 years apart");
  if (!Number.isInteger(input.buckets) || input.buckets < 1 || input.buckets > maxBuckets) {
    throw new RangeError(`buckets must be an integer from 1 to ${maxBuckets}, got ${String(input.buckets)}`);
  }
  const widthMs = Math.ceil(rangeMs / input.buckets);
  return { widthMs, count: Math.ceil(rangeMs / widthMs) };
}

/**
 * The bucketing statement alone (the benchmark runs it raw, too). Answered from
 * kpi_data_points_series_idx by an index-only scan; `last` is the least [-epoch, value] pair, which
 * needs no ordered aggregate (and no sort) per bucket.
 */
export function kpiSeriesQuery(input: KpiSeriesInput): Query<KpiSeriesBucket> {
  const { widthMs } = seriesBuckets(input);
  const visibleFrom = input.visibleFrom && input.visibleFrom > input.from ? input.visibleFrom : input.from;
  return sql<KpiSeriesBucket>`
    SELECT date_bin(${widthMs}::bigint * interval '1 millisecond', p."timestamp", ${input.from}::timestamptz) AS "bucketStart",
           avg(p.value) AS avg, min(p.value) AS min, max(p.value) AS max,
           (min(ARRAY[-date_part('epoch', p."timestamp"), p.value]))[2] AS last,
           count(*)::int AS count
      FROM kpi_data_points AS p
     WHERE p.kpi_id = ${input.kpiId}::uuid
       AND p."timestamp" >= ${visibleFrom}::timestamptz
       AND p."timestamp" < ${input.to}::timestamptz
     GROUP BY 1`;
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

/** The rows of kpiSeriesQuery(input) as the full series: every bucket, gaps included. */
export function seriesFromRows(input: KpiSeriesInput, rows: readonly KpiSeriesBucket[]): KpiSeries {
  const { widthMs, count } = seriesBuckets(input);
  const start = input.from.getTime();
  const buckets: KpiSeriesBucket[] = Array.from({ length: count }, (_, index) => ({
    bucketStart: new Date(start + index * widthMs),
    avg: null,
    min: null,
    max: null,
    last: null,
    count: 0,
  }));
  // Gaps are filled here rather than by a generate_series join: cheaper, and the same chart.
  for (const row of rows) buckets[Math.round((row.bucketStart.getTime() - start) / widthMs)] = row;
  return { bucketWidthMs: widthMs, buckets };
}

/** A KPI's points in [from, to), downsampled to at most `buckets` evenly spaced buckets, gaps included. */
export async function kpiSeries(db: RawQueryable, input: KpiSeriesInput): Promise<KpiSeries> {
  return seriesFromRows(input, await queryRows(db, kpiSeriesQuery(input)));
}

// ---------------------------------------------------------------------------------------------

/** How far back "previous" looks: the value one period before now. */
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
  /** 1..200, default 50; ordered by category, then name. */
  limit?: number;
}

/** A KPI with its current value and the value one period before (progress and change: @northstar/core's summarizeKpi). */
export interface KpiSummaryRow {
  id: string;
  name: string;
  unit: string;
  category: string;
  direction: KpiDirection;
  targetValue: number | null;
  currentValue: number | null;
  currentValueAt: Date | null;
  /** The newest value at least one period old (of points at the same instant, the smallest). */
  previousValue: number | null;
  previousValueAt: Date | null;
}

function checkedSummariesInput(input: KpiSummariesInput): KpiSummariesInput & { limit: number } {
  assertUuid("workspaceId", input.workspaceId);
  if (!Object.hasOwn(summaryPeriods, input.period))
    throw new RangeError(`period must be one of ${Object.keys(summaryPeriods).join(", ")}`);
  const limit = input.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxSummaries) {
    throw new RangeError(`limit must be an integer from 1 to ${maxSummaries}, got ${String(limit)}`);
  }
  return { ...input, limit };
}

/**
 * The KPI-list statement. The current value is the trigger-maintained kpis.current_value; the
 * previous one is one probe of kpi_data_points_series_idx per KPI. The `value` tie-break is also
 * what keeps the planner on that index: only it yields this order without a sort, while the
 * unique (workspace_id, kpi_id, timestamp, source) index looks cheaper to an estimate that takes
 * RLS's workspace_id and kpi_id for independent columns.
 */
export function kpiSummariesQuery(input: KpiSummariesInput): Query<KpiSummaryRow> {
  const { workspaceId, period, category, limit } = checkedSummariesInput(input);
  const byCategory = category === undefined ? Prisma.empty : Prisma.sql`AND k.category = ${category}`;
  return sql<KpiSummaryRow>`
    SELECT k.id::text AS id, k.name, k.unit, k.category, k.direction::text AS direction,
           k.target_value AS "targetValue", k.current_value AS "currentValue", k.current_value_at AS "currentValueAt",
           previous.value AS "previousValue", previous."timestamp" AS "previousValueAt"
      FROM kpis AS k
      LEFT JOIN LATERAL (
        SELECT p.value, p."timestamp"
          FROM kpi_data_points AS p
         WHERE p.kpi_id = k.id AND p.workspace_id = k.workspace_id
           AND p."timestamp" <= now() - ${summaryPeriods[period]}::interval
         ORDER BY p."timestamp" DESC, p.value
         LIMIT 1) AS previous ON true
     WHERE k.workspace_id = ${workspaceId}::uuid AND k.is_active ${byCategory}
     ORDER BY k.category, k.name, k.id
     LIMIT ${limit}::int`;
}

/** The active KPIs of the context workspace with their current value and the value one `period` before. */
export async function kpiSummaries(db: RawQueryable, input: KpiSummariesInput): Promise<KpiSummaryRow[]> {
  return queryRows(db, kpiSummariesQuery(input));
}
