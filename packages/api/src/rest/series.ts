import type { KpiAggregation } from "@northstar/core/kpi-progress";
import type { seriesColumns } from "../kpi/compare.ts";

// The series as the REST API answers it: one object per bucket, with `value` by the KPI's
// aggregation. series.ts answers avg, min, max, last and count per bucket; the sum is avg × count
// (exact up to floating-point rounding). When series.ts answers sums and aggregation-aware values
// itself, this mapping shrinks to a rename.

export interface RestBucket {
  start: string;
  value: number | null;
  sum: number | null;
  avg: number | null;
  min: number | null;
  max: number | null;
  last: number | null;
  count: number;
}

type Columns = ReturnType<typeof seriesColumns>;

export function restBuckets(aggregation: KpiAggregation, columns: Columns): RestBucket[] {
  return columns.start.map((start, index) => {
    const count = columns.count[index] ?? 0;
    const avg = columns.avg[index] ?? null;
    const min = columns.min[index] ?? null;
    const max = columns.max[index] ?? null;
    const last = columns.last[index] ?? null;
    const sum = avg === null ? null : avg * count;
    const byAggregation = { SUM: sum, AVERAGE: avg, LAST: last, MIN: min, MAX: max } as const;
    return { start: new Date(start).toISOString(), value: byAggregation[aggregation], sum, avg, min, max, last, count };
  });
}
