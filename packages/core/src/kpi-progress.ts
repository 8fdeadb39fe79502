// A KPI's progress toward its target and the trend of its change, both direction aware. One
// implementation for the KPI list and summary, the chart's comparison and goals' progress.

export const kpiDirections = ["HIGHER_IS_BETTER", "LOWER_IS_BETTER"] as const;
export type KpiDirection = (typeof kpiDirections)[number];

/** How a KPI's points add up over a period: counts and amounts SUM, rates AVERAGE, levels LAST. */
export const kpiAggregations = ["SUM", "AVERAGE", "LAST", "MIN", "MAX"] as const;
export type KpiAggregation = (typeof kpiAggregations)[number];

export type KpiTrend = "better" | "worse" | "flat";

/**
 * 100 once the target is met; otherwise the proportion of it reached (HIGHER: current / target;
 * LOWER: target / current), or 0 where that ratio means nothing (signs disagree).
 */
export function progressPct(direction: KpiDirection, current: number | null, target: number | null): number | null {
  if (current === null || target === null) return null;
  if (direction === "HIGHER_IS_BETTER") {
    if (current >= target) return 100;
    return target > 0 && current > 0 ? (100 * current) / target : 0;
  }
  if (current <= target) return 100;
  return target >= 0 && current > 0 ? (100 * target) / current : 0;
}

export interface KpiChange {
  change: number | null;
  /** Change relative to the previous value's magnitude; null when that is 0 or unknown. */
  changePct: number | null;
  /** Whether the change moved toward the better side for this KPI's direction. */
  trend: KpiTrend | null;
}

/** From `previous` to `current`; every figure is null when either value is unknown. */
export function kpiChange(direction: KpiDirection, current: number | null, previous: number | null): KpiChange {
  if (current === null || previous === null) return { change: null, changePct: null, trend: null };
  const change = current - previous;
  const signed = direction === "HIGHER_IS_BETTER" ? change : -change;
  return {
    change,
    changePct: previous === 0 ? null : (100 * change) / Math.abs(previous),
    trend: signed > 0 ? "better" : signed < 0 ? "worse" : "flat",
  };
}

interface KpiValues {
  direction: KpiDirection;
  targetValue: number | null;
  /** The current period's value as the KPI's aggregation adds up (a SUM KPI: the period's total so far). */
  currentValue: number | null;
  /** The previous period's value, the same way and up to the same point in it (the summary's comparison). */
  previousValue: number | null;
}

/**
 * A KPI's values with its progress and its change against the previous period: the summary's
 * figures. Progress is the period's value against the target, so a SUM KPI with a target of 100
 * is halfway once the period's total reaches 50.
 */
export function summarizeKpi<Row extends KpiValues>(row: Row): Row & { progressPct: number | null } & KpiChange {
  return {
    ...row,
    progressPct: progressPct(row.direction, row.currentValue, row.targetValue),
    ...kpiChange(row.direction, row.currentValue, row.previousValue),
  };
}
