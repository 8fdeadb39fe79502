// The time-series reads of packages/db (downsampled in SQL). @northstar/db does not export
// series.ts from its entry point yet; this is the one place that reaches into the package, so
// switching to `from "@northstar/db"` once it does is a one-line change.
export {
  type KpiSeries,
  kpiSeries,
  type KpiSummary,
  kpiSummaries,
  maxBuckets,
  maxSummaries,
  progressPct,
  summaryPeriods,
  type SummaryPeriod,
} from "../../../db/src/series.ts";
