import { type KpiChart, type KpiChartInput, type RawQueryable, readKpiChartReading } from "@northstar/db";
import type { KpiAggregation, KpiDirection } from "@northstar/core/kpi-progress";
import { comparePeriods, seriesColumns } from "./compare.ts";

// kpi.series's answer but for the KPI's own fields: what a host may keep (kpi/chart-cache.ts),
// since it depends only on the points, the range and the few KPI and workspace fields in its key.

/**
 * The chart of `input` for a KPI of this aggregation and direction (`visibleFrom` is the plan's
 * window), with the KPI's data version it was read at and whether the reader saw the KPI.
 */
export async function readChartAnswer(
  read: RawQueryable,
  kpi: { aggregation: KpiAggregation; direction: KpiDirection },
  input: KpiChartInput,
) {
  const { chart, version, visible } = await readKpiChartReading(read, input);
  return { answer: chartAnswer(kpi, input, chart), version, visible };
}

function chartAnswer(
  kpi: { aggregation: KpiAggregation; direction: KpiDirection },
  input: KpiChartInput,
  { current, previous: previousSeries, hiddenPoints }: KpiChart,
) {
  const start = input.visibleFrom ?? null;
  // The previous period is compared only where the plan's history reaches all of it.
  const previousStart = previousSeries?.buckets[0]?.bucketStart;
  const previous = previousSeries && previousStart && (!start || previousStart >= start) ? previousSeries : null;
  return {
    bucketWidthMs: current.bucketWidthMs,
    calendar: current.calendar,
    timeZone: current.timeZone,
    columns: seriesColumns(current.buckets),
    previous: previous ? { bucketWidthMs: previous.bucketWidthMs, columns: seriesColumns(previous.buckets) } : null,
    comparison: previous ? comparePeriods(kpi.aggregation, kpi.direction, current.buckets, previous.buckets) : null,
    hidden: start && hiddenPoints > 0 ? { before: start, points: hiddenPoints } : null,
  };
}

export type ChartAnswer = ReturnType<typeof chartAnswer>;
export type ChartReading = Awaited<ReturnType<typeof readChartAnswer>>;

/** How many buckets an answer holds (both periods), for the cache's size. */
export function bucketCount(answer: ChartAnswer): number {
  return answer.columns.start.length + (answer.previous?.columns.start.length ?? 0);
}
