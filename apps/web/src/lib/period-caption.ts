import type { KpiAggregation } from "@northstar/core/kpi-progress";

// What a period value is, in words, wherever one is shown (the dashboard's cards, a KPI's page):
// the same figure must read the same everywhere.

export type SummaryPeriod = "day" | "week" | "month" | "quarter" | "year";

/** "Total this week so far", "Average today so far", "Latest value", … */
export function valueCaption(aggregation: KpiAggregation, period: SummaryPeriod): string {
  const within = period === "day" ? "today so far" : `this ${period} so far`;
  switch (aggregation) {
    case "SUM":
      return `Total ${within}`;
    case "AVERAGE":
      return `Average ${within}`;
    case "MIN":
      return `Lowest ${within}`;
    case "MAX":
      return `Highest ${within}`;
    case "LAST":
      return "Latest value";
  }
}
