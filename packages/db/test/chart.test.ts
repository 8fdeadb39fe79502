import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { knownCalendar, rememberCalendar } from "../src/chart-calendars.ts";
import { chartFromRow, chartRowSeen, type KpiChartInput, kpiChartQuery, readKpiChart } from "../src/chart.ts";
import type { RawQueryable, RequestContext } from "../src/client.ts";
import type { Prisma } from "../src/generated/prisma/client.ts";
import { calendarUnits, hiddenPointsQuery, kpiSeriesQuery, seriesFromRows } from "../src/series.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";
import { addKpi, arrangeTenancy, dstWindowStart, insertPoints, setWorkspaceZone, type Tenancy } from "./fixtures.ts";

// The chart statement packs the series, the comparison period and the hidden count into one row of
// JSON. It must answer exactly what the three statements it replaces answer (the same buckets,
// bounds, figures and nulls, to the last bit of every float), for even and calendar buckets, with
// and without a comparison and a plan window.

const ctx = useTestDatabase();
let t: Tenancy;
let alice: RequestContext;
let kpiId: string;

const hour = 3_600_000;
const day = 86_400_000;
const at = (ms: number) => new Date(dstWindowStart + ms);

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
  alice = { userId: t.users.alice, workspaceId: t.workspaces.a };
  await setWorkspaceZone(ctx().admin, t.workspaces.a, "America/New_York");
  kpiId = await addKpi(ctx().admin, t.workspaces.a, "Chart");
  // Sixty days of points every 97 minutes, values with long binary expansions (n / 3, n / 7).
  await insertPoints(
    ctx().admin,
    t.workspaces.a,
    Array.from({ length: Math.floor((60 * day) / (97 * 60_000)) }, (_, n) => ({
      kpiId,
      at: at(n * 97 * 60_000),
      value: n % 2 === 0 ? n / 3 : -n / 7,
    })),
  );
});

/** The chart the old way: the two series statements and the hidden count, one by one. */
async function separately(input: KpiChartInput) {
  const reader = ctx().db.reader(alice);
  const { compare, ...range } = input;
  const [current, hidden, previous] = await reader.batch(
    kpiSeriesQuery(range),
    hiddenPointsQuery(range.kpiId, range.visibleFrom ?? null),
    ...(compare ? [kpiSeriesQuery({ ...range, previous: true })] : []),
  );
  return {
    current: seriesFromRows(range, current),
    previous: previous ? seriesFromRows({ ...range, previous: true }, previous) : null,
    hiddenPoints: hidden[0]?.points ?? 0,
  };
}

function packed(input: KpiChartInput) {
  return readKpiChart(ctx().db.reader(alice), input);
}

/** Whether the chart's statement reads the daily rollups alone (src/whole-days.ts). */
const wholeDays = (input: KpiChartInput) => !kpiChartQuery(input).sql.includes("kpi_rollups_hourly");

describe("the chart statement", () => {
  test("a year of local days with the year before, as the dashboard asks", async () => {
    const input: KpiChartInput = {
      kpiId,
      workspaceId: t.workspaces.a,
      from: at(-300 * day + 5 * hour),
      to: at(65 * day + 5 * hour),
      buckets: 365,
      aggregation: "SUM",
      timeZone: "America/New_York",
      compare: true,
    };
    expect(wholeDays(input)).toBe(true);
    // A plan window inside the comparison period cuts a day: the general statement answers.
    expect(wholeDays({ ...input, visibleFrom: at(-400 * day) })).toBe(false);
    expect(wholeDays({ ...input, compare: false, visibleFrom: at(-400 * day) })).toBe(true);
    const chart = await packed(input);
    expect(chart).toEqual(await separately(input));
    expect(chart.current.calendar).toBe("day");
    expect(chart.current.buckets.filter((bucket) => bucket.count > 0).length).toBeGreaterThan(55);
  });

  test("read again, whole days reuse their bounds: the statement reads only the rollups, and sees new points", async () => {
    const input: KpiChartInput = {
      kpiId,
      workspaceId: t.workspaces.a,
      from: at(-200 * day + 5 * hour),
      to: at(40 * day + 5 * hour),
      buckets: 240,
      calendar: "day",
      timeZone: "America/New_York",
      compare: true,
    };
    const periods = { current: { ...input, previous: false }, previous: { ...input, previous: true } };
    expect(knownCalendar(periods.current)).toBeNull();
    const first = await packed(input);
    expect(first).toEqual(await separately(input));
    const known = { current: knownCalendar(periods.current), previous: knownCalendar(periods.previous) };
    expect(known.current).toHaveLength(first.current.buckets.length + 1);
    expect(known.previous).toHaveLength((first.previous?.buckets.length ?? 0) + 1);
    // The statement readKpiChart sends, recorded on its way to the reader.
    const reader = ctx().db.reader(alice);
    const sent: string[] = [];
    const recording: RawQueryable = {
      $queryRaw: <T>(query: Prisma.Sql) => {
        sent.push(query.sql);
        return reader.$queryRaw<T>(query);
      },
    };
    expect(await readKpiChart(recording, input)).toEqual(first);
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toContain("generate_series");
    expect(sent[0]).toContain("kpi_rollups_daily");
    expect(sent[0]).toBe(kpiChartQuery(input, known).sql);
    // A point on a day that had none: the bounds are kept, the figures are read.
    await insertPoints(ctx().admin, t.workspaces.a, [{ kpiId, at: at(-100 * day), value: 42 }]);
    const again = await packed(input);
    expect(again).toEqual(await separately(input));
    expect(again).not.toEqual(first);
  });

  test("days that do not fit their kept bounds (zone rules changed in between): asked again the general way", async () => {
    const input: KpiChartInput = {
      kpiId,
      workspaceId: t.workspaces.a,
      from: at(-30 * day + 5 * hour),
      to: at(30 * day + 5 * hour),
      buckets: 60,
      calendar: "day",
      timeZone: "America/New_York",
      compare: false,
    };
    const current = { ...input, previous: false };
    const expected = await separately(input);
    // Bounds an hour off, as other rules for the zone would draw them.
    const shifted = {
      ...expected.current,
      buckets: expected.current.buckets.map((bucket) => ({
        ...bucket,
        bucketStart: new Date(bucket.bucketStart.getTime() + hour),
        bucketEnd: new Date(bucket.bucketEnd.getTime() + hour),
      })),
    };
    rememberCalendar(current, shifted);
    expect(knownCalendar(current)?.[0]).toBe((expected.current.buckets[0]?.bucketStart.getTime() ?? 0) + hour);
    expect(await packed(input)).toEqual(expected);
    expect(knownCalendar(current)).toBeNull();
  });

  test("agrees with the separate statements on random ranges, widths, units and windows", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: -20 * 24, max: 70 * 24 }),
        fc.integer({ min: 1, max: 90 * 24 }),
        fc.integer({ min: 1, max: 400 }),
        fc.option(fc.constantFrom(...calendarUnits, "auto" as const), { nil: undefined }),
        fc.boolean(),
        fc.option(fc.integer({ min: -10 * 24, max: 60 * 24 }), { nil: null }),
        async (startHours, lengthHours, buckets, calendar, compare, windowHours) => {
          // Odd minutes and milliseconds: even buckets' bounds are not whole seconds.
          const from = at(startHours * hour + (startHours % 3) * 60_000 + (startHours % 5) * 7);
          const input: KpiChartInput = {
            kpiId,
            workspaceId: t.workspaces.a,
            from,
            to: new Date(from.getTime() + lengthHours * hour),
            buckets,
            aggregation: "AVERAGE",
            timeZone: "America/New_York",
            visibleFrom: windowHours === null ? null : at(windowHours * hour),
            compare,
            ...(calendar ? { calendar } : {}),
          };
          // Ranges with more calendar buckets than allowed are refused alike; only answers compare.
          const expected = await separately(input).catch((error: unknown) => error);
          if (expected instanceof Error) {
            expect(() => kpiChartQuery(input)).toThrow(expected.message);
            return;
          }
          expect(await packed(input)).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("weeks, months, quarters and years of local days, with and without a plan window", async () => {
    for (const calendar of ["week", "month", "quarter", "year"] as const) {
      for (const visibleFrom of [null, at(-800 * day), at(10 * day)]) {
        const input: KpiChartInput = {
          kpiId,
          workspaceId: t.workspaces.a,
          from: at(-200 * day),
          to: at(70 * day),
          buckets: 400,
          calendar,
          aggregation: "MAX",
          timeZone: "America/New_York",
          visibleFrom,
          compare: true,
        };
        expect(await packed(input)).toEqual(await separately(input));
      }
    }
  });

  test("whole days read in a zone the workspace no longer has: asked again the general way", async () => {
    const input: KpiChartInput = {
      kpiId,
      workspaceId: t.workspaces.a,
      from: at(-10 * day),
      to: at(50 * day),
      buckets: 60,
      calendar: "day",
      timeZone: "Europe/Berlin",
      compare: true,
    };
    expect(wholeDays(input)).toBe(true);
    const [rows] = await ctx().db.reader(alice).batch(kpiChartQuery(input));
    expect(rows[0] && chartRowSeen(rows[0]).zone).toBe("America/New_York");
    expect(chartFromRow(input, rows[0])).toBeNull();
    const chart = await packed(input);
    expect(chart).toEqual(await separately(input));
    expect(chart.current.buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBeGreaterThan(400);
  });

  test("another workspace's KPI reads as an empty chart, not as an error", async () => {
    const other = await addKpi(ctx().admin, t.workspaces.b, "Theirs");
    await insertPoints(ctx().admin, t.workspaces.b, [{ kpiId: other, at: at(hour), value: 1 }]);
    const chart = await packed({ kpiId: other, from: at(0), to: at(day), buckets: 24, compare: true });
    expect(chart.current.buckets.every((bucket) => bucket.count === 0)).toBe(true);
    expect(chart.previous?.buckets.every((bucket) => bucket.count === 0)).toBe(true);
  });
});
