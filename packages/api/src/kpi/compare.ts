import { type KpiAggregation, type KpiDirection, kpiChange } from "@northstar/core/kpi-progress";
import type { KpiSeriesBucket } from "@northstar/db";
import { SeriesColumns } from "@northstar/core/transformer";

// A series against the period before it: each period's value as the KPI's aggregation adds it up
// over all its buckets, and the change between them (@northstar/core's kpiChange: the same maths
// as the KPI summary's).

type Figures = Pick<KpiSeriesBucket, "sum" | "min" | "max" | "last" | "count">;

/**
 * A whole period's value from its buckets: SUM the total, AVERAGE the mean of all its points
 * (not of the bucket means), MIN / MAX the extreme, LAST the newest bucket's last; null without points.
 */
export function periodValue(aggregation: KpiAggregation, buckets: readonly Figures[]): number | null {
  const filled = buckets.filter((bucket) => bucket.count > 0);
  if (filled.length === 0) return null;
  const total = filled.reduce((sum, bucket) => sum + (bucket.sum ?? 0), 0);
  switch (aggregation) {
    case "SUM":
      return total;
    case "AVERAGE":
      return total / filled.reduce((count, bucket) => count + bucket.count, 0);
    case "MIN":
      return Math.min(...filled.map((bucket) => bucket.min ?? Number.POSITIVE_INFINITY));
    case "MAX":
      return Math.max(...filled.map((bucket) => bucket.max ?? Number.NEGATIVE_INFINITY));
    case "LAST":
      return filled.at(-1)?.last ?? null;
  }
}

/** Each period's value and the change from the previous one to the current one. */
export function comparePeriods(
  aggregation: KpiAggregation,
  direction: KpiDirection,
  current: readonly Figures[],
  previous: readonly Figures[],
) {
  const now = periodValue(aggregation, current);
  const before = periodValue(aggregation, previous);
  return { current: now, previous: before, ...kpiChange(direction, now, before) };
}

/**
 * A series as columns (bucket starts in epoch milliseconds), the shape a chart plots directly and
 * the cheapest to send: as a SeriesColumns, JSON text written once (@northstar/core's
 * transformer.ts). `value` is the figure the KPI's aggregation names; `end` is where each bucket
 * ends (calendar buckets differ in length). Never changed once made: its text is kept.
 */
export function seriesColumns(buckets: readonly KpiSeriesBucket[]): SeriesColumns {
  return new SeriesColumns({
    start: buckets.map((bucket) => bucket.bucketStart.getTime()),
    end: buckets.map((bucket) => bucket.bucketEnd.getTime()),
    value: buckets.map((bucket) => bucket.value),
    sum: buckets.map((bucket) => bucket.sum),
    avg: buckets.map((bucket) => bucket.avg),
    min: buckets.map((bucket) => bucket.min),
    max: buckets.map((bucket) => bucket.max),
    last: buckets.map((bucket) => bucket.last),
    count: buckets.map((bucket) => bucket.count),
  });
}
