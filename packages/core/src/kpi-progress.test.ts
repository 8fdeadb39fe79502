import { describe, expect, test } from "vitest";
import { kpiChange, progressPct, summarizeKpi } from "./kpi-progress.ts";

// The KPI maths on its own; packages/db's series test and the API's kpi tests run it on real rows.

describe("progressPct", () => {
  test.each([
    ["HIGHER_IS_BETTER", 50, 100, 50],
    ["HIGHER_IS_BETTER", 150, 100, 100],
    ["HIGHER_IS_BETTER", -5, 100, 0],
    ["HIGHER_IS_BETTER", -5, -1, 0],
    ["HIGHER_IS_BETTER", 0, 0, 100],
    ["LOWER_IS_BETTER", 4, 2, 50],
    ["LOWER_IS_BETTER", 1, 2, 100],
    ["LOWER_IS_BETTER", 5, -1, 0],
    ["LOWER_IS_BETTER", 0, 0, 100],
  ] as const)("%s with current %d and target %d is %d%%", (direction, current, target, expected) => {
    expect(progressPct(direction, current, target)).toBe(expected);
  });

  test("no target or no value is no progress", () => {
    expect(progressPct("HIGHER_IS_BETTER", null, 10)).toBeNull();
    expect(progressPct("LOWER_IS_BETTER", 3, null)).toBeNull();
  });
});

describe("kpiChange", () => {
  test("the trend follows the KPI's direction", () => {
    expect(kpiChange("HIGHER_IS_BETTER", 8, 4)).toEqual({ change: 4, changePct: 100, trend: "better" });
    expect(kpiChange("LOWER_IS_BETTER", 8, 4)).toEqual({ change: 4, changePct: 100, trend: "worse" });
    expect(kpiChange("LOWER_IS_BETTER", 4, 5)).toEqual({ change: -1, changePct: -20, trend: "better" });
    expect(kpiChange("HIGHER_IS_BETTER", 10, 10)).toEqual({ change: 0, changePct: 0, trend: "flat" });
  });

  test("relative to the previous value's magnitude; none from 0 or from nothing", () => {
    expect(kpiChange("HIGHER_IS_BETTER", -2, -4).changePct).toBe(50);
    expect(kpiChange("HIGHER_IS_BETTER", 3, 0)).toEqual({ change: 3, changePct: null, trend: "better" });
    expect(kpiChange("HIGHER_IS_BETTER", 3, null)).toEqual({ change: null, changePct: null, trend: null });
    expect(kpiChange("HIGHER_IS_BETTER", null, 3)).toEqual({ change: null, changePct: null, trend: null });
  });

  test("summarizeKpi adds progress and change to the row it is given", () => {
    const row = { id: "k", direction: "LOWER_IS_BETTER", targetValue: 2, currentValue: 4, previousValue: 5 } as const;
    expect(summarizeKpi(row)).toEqual({ ...row, progressPct: 50, change: -1, changePct: -20, trend: "better" });
  });
});
