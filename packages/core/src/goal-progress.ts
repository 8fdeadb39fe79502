import { type KpiDirection, progressPct } from "./kpi-progress.ts";

// A goal's progress: the weighted average of its KPIs' progress toward their targets, each 0..100
// and direction aware (REACH_TARGET follows the KPI's direction; STAY_ABOVE / STAY_BELOW say it
// outright). A KPI without a value or a target counts as 0. Pace compares that with the share of
// the time to the target date already gone.
//
// A KPI's `currentValue` here is its value for the goal's period as its aggregation adds up (the
// API reads it: the current calendar month in the workspace's time zone). So a SUM KPI's progress
// is that period's total against the target (100 deploys a month: 50 so far is halfway), a LAST
// KPI's is its newest value, an AVERAGE KPI's the period's mean.

export const goalStatuses = ["NOT_STARTED", "ON_TRACK", "AT_RISK", "OFF_TRACK", "COMPLETED", "ARCHIVED"] as const;
export type GoalStatus = (typeof goalStatuses)[number];

export const goalCriteria = ["REACH_TARGET", "STAY_ABOVE", "STAY_BELOW"] as const;
export type GoalCriterion = (typeof goalCriteria)[number];

export interface GoalKpiLink {
  weight: number;
  criterion: GoalCriterion;
  kpi: { direction: KpiDirection; targetValue: number | null; currentValue: number | null };
}

export type PaceSuggestion = Extract<GoalStatus, "ON_TRACK" | "AT_RISK" | "OFF_TRACK" | "COMPLETED">;

export interface GoalPace {
  /** Progress expected by now if it grew evenly from the goal's creation to its target date. */
  expectedPct: number;
  suggestion: PaceSuggestion;
}

export function linkProgress(link: GoalKpiLink): number {
  const direction: KpiDirection =
    link.criterion === "STAY_ABOVE"
      ? "HIGHER_IS_BETTER"
      : link.criterion === "STAY_BELOW"
        ? "LOWER_IS_BETTER"
        : link.kpi.direction;
  const pct = progressPct(direction, link.kpi.currentValue, link.kpi.targetValue) ?? 0;
  return Math.min(100, Math.max(0, pct));
}

/** Weighted average 0..100; null for a goal without KPIs. */
export function goalProgress(links: GoalKpiLink[]): number | null {
  const totalWeight = links.reduce((sum, link) => sum + link.weight, 0);
  if (links.length === 0 || totalWeight <= 0) return null;
  const weighted = links.reduce((sum, link) => sum + link.weight * linkProgress(link), 0);
  return Math.min(100, Math.max(0, weighted / totalWeight));
}

const atRiskMargin = 10;
const offTrackMargin = 25;

/** Null without a target date or a progress figure. */
export function goalPace(
  progress: number | null,
  createdAt: Date,
  targetDate: Date | null,
  now: Date,
): GoalPace | null {
  if (progress === null || targetDate === null) return null;
  const span = targetDate.getTime() - createdAt.getTime();
  const elapsed = span <= 0 ? 1 : Math.min(1, Math.max(0, (now.getTime() - createdAt.getTime()) / span));
  const expectedPct = 100 * elapsed;
  let suggestion: PaceSuggestion;
  if (progress >= 100) suggestion = "COMPLETED";
  // The date has passed short of the target: no pace catches up any more.
  else if (now >= targetDate) suggestion = "OFF_TRACK";
  else if (progress >= expectedPct - atRiskMargin) suggestion = "ON_TRACK";
  else if (progress >= expectedPct - offTrackMargin) suggestion = "AT_RISK";
  else suggestion = "OFF_TRACK";
  return { expectedPct, suggestion };
}
