import { describe, expect, test } from "vitest";
import { type GoalKpiLink, goalPace, goalProgress, linkProgress } from "./goal-progress.ts";

const link = (
  kpi: Partial<GoalKpiLink["kpi"]>,
  criterion: GoalKpiLink["criterion"] = "REACH_TARGET",
  weight = 1,
): GoalKpiLink => ({
  weight,
  criterion,
  kpi: { direction: "HIGHER_IS_BETTER", targetValue: 100, currentValue: 50, ...kpi },
});

describe("a linked KPI's progress", () => {
  test("reach the target follows the KPI's direction, capped 0..100", () => {
    expect(linkProgress(link({ currentValue: 50 }))).toBe(50);
    expect(linkProgress(link({ currentValue: 150 }))).toBe(100);
    expect(linkProgress(link({ currentValue: -5 }))).toBe(0);
    expect(linkProgress(link({ direction: "LOWER_IS_BETTER", targetValue: 10, currentValue: 20 }))).toBe(50);
    expect(linkProgress(link({ direction: "LOWER_IS_BETTER", targetValue: 10, currentValue: 5 }))).toBe(100);
  });

  test("stay above / stay below say the direction themselves", () => {
    expect(
      linkProgress(link({ direction: "LOWER_IS_BETTER", targetValue: 100, currentValue: 120 }, "STAY_ABOVE")),
    ).toBe(100);
    expect(linkProgress(link({ targetValue: 100, currentValue: 80 }, "STAY_ABOVE"))).toBe(80);
    expect(linkProgress(link({ targetValue: 100, currentValue: 80 }, "STAY_BELOW"))).toBe(100);
    expect(linkProgress(link({ targetValue: 100, currentValue: 200 }, "STAY_BELOW"))).toBe(50);
  });

  test("no value or no target counts as 0", () => {
    expect(linkProgress(link({ currentValue: null }))).toBe(0);
    expect(linkProgress(link({ targetValue: null }))).toBe(0);
  });
});

describe("a goal's progress and pace", () => {
  test("weighted average", () => {
    expect(
      goalProgress([link({ currentValue: 100 }, "REACH_TARGET", 3), link({ currentValue: 0 }, "REACH_TARGET", 1)]),
    ).toBe(75);
    expect(goalProgress([])).toBeNull();
  });

  test("pace against the share of time gone", () => {
    const created = new Date("2026-01-01T00:00:00Z");
    const target = new Date("2026-01-11T00:00:00Z");
    const halfway = new Date("2026-01-06T00:00:00Z");
    expect(goalPace(45, created, target, halfway)).toEqual({ expectedPct: 50, suggestion: "ON_TRACK" });
    expect(goalPace(30, created, target, halfway)).toEqual({ expectedPct: 50, suggestion: "AT_RISK" });
    expect(goalPace(10, created, target, halfway)).toEqual({ expectedPct: 50, suggestion: "OFF_TRACK" });
    expect(goalPace(100, created, target, halfway)?.suggestion).toBe("COMPLETED");
    expect(goalPace(80, created, target, new Date("2026-02-01T00:00:00Z"))).toEqual({
      expectedPct: 100,
      suggestion: "OFF_TRACK",
    });
    expect(goalPace(50, created, null, halfway)).toBeNull();
    expect(goalPace(null, created, target, halfway)).toBeNull();
  });
});
