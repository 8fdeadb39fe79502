import type { seriesColumns } from "../kpi/compare.ts";

// The series as the REST API answers it: one object per bucket (the tRPC answer is columns, for
// charts), `value` being the figure the KPI's aggregation names.

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

export function restBuckets(columns: Columns): RestBucket[] {
  return columns.start.map((start, index) => ({
    start: new Date(start).toISOString(),
    value: columns.value[index] ?? null,
    sum: columns.sum[index] ?? null,
    avg: columns.avg[index] ?? null,
    min: columns.min[index] ?? null,
    max: columns.max[index] ?? null,
    last: columns.last[index] ?? null,
    count: columns.count[index] ?? 0,
  }));
}
