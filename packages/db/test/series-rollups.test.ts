import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import type { RequestContext } from "../src/client.ts";
import type { KpiAggregation } from "../src/generated/prisma/enums.ts";
import {
  type CalendarUnit,
  calendarUnits,
  type KpiSeriesInput,
  type KpiSummaryRow,
  kpiSeriesQuery,
  kpiSummariesQuery,
  rawKpiPeriodValueSql,
  rawKpiSeriesQuery,
  type SummaryPeriod,
  seriesFromRows,
} from "../src/series.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";
import {
  addKpi as addOperatorKpi,
  arrangeTenancy,
  dstWindowStart,
  insertPoints as insertOperatorPoints,
  type OperatorPoint,
  setWorkspaceZone,
  type Tenancy,
} from "./fixtures.ts";

// The chart series and the dashboard's period values read from the rollups, against the raw
// statements they replace, over random KPIs, ranges, bucket counts, calendar units, zones, plan
// windows and interleaved writes (inserts, moves, new values, deletes, zone changes).
//
// How "the same answer" is compared: count, min, max, last, every bucket's bounds and every null
// exactly; sum and avg (and SUM / AVERAGE period values) to a relative 1e-9. The rollups add in
// numeric and round once; the raw statements add float8 in scan order, which already differs
// from run to run in the last digits. Values here are n/1, n/3, n/10: float8 sums of up to a few
// hundred of them stay well within 1e-12 of the exact sum.

const ctx = useTestDatabase();
let t: Tenancy;
let alice: RequestContext;

const minute = 60_000;
const hour = 3_600_000;
const day = 86_400_000;
const at = (ms: number) => new Date(dstWindowStart + ms);
const tolerance = 1e-9;

function close(actual: number | null, expected: number | null): boolean {
  if (actual === null || expected === null) return actual === expected;
  return Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected));
}

/** Rows equal but for sum and avg (or the listed fields), which are only close. */
function expectSameRows<Row extends object>(actual: Row[], expected: Row[], approximate: readonly (keyof Row)[]): void {
  const exactPart = (rows: Row[]) =>
    rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => !approximate.some((k) => k === key))));
  expect(exactPart(actual)).toEqual(exactPart(expected));
  actual.forEach((row, index) => {
    const other = expected[index];
    for (const key of approximate) {
      const [a, b] = [row[key], other?.[key]];
      if (!close(typeof a === "number" ? a : null, typeof b === "number" ? b : null))
        expect.fail(`row ${index} ${String(key)}: ${String(a)} from the rollups, ${String(b)} from the raw points`);
    }
  });
}

const addKpi = () => addOperatorKpi(ctx().admin, t.workspaces.a, "Series");
const insertPoints = (points: readonly OperatorPoint[]) => insertOperatorPoints(ctx().admin, t.workspaces.a, points);

/** The series both ways, as the API assembles it (gaps filled), through the app role under RLS. */
async function expectSameSeries(input: KpiSeriesInput): Promise<void> {
  const reader = ctx().db.reader(alice);
  const [rollupRows, rawRows] = await reader.batch(kpiSeriesQuery(input), rawKpiSeriesQuery(input));
  const rollups = seriesFromRows(input, rollupRows);
  const raw = seriesFromRows(input, rawRows);
  expect({ ...rollups, buckets: [] }).toEqual({ ...raw, buckets: [] });
  expectSameRows(rollups.buckets, raw.buckets, ["sum", "avg", "value"]);
}

async function expectSameSummaries(period: SummaryPeriod, now: Date): Promise<void> {
  const reader = ctx().db.reader(alice);
  const input = { workspaceId: t.workspaces.a, period, now, limit: 200 };
  const [rollups, raw] = await reader.batch(kpiSummariesQuery(input), kpiSummariesQuery(input, rawKpiPeriodValueSql));
  expectSameRows<KpiSummaryRow>(rollups, raw, ["currentValue", "previousValue"]);
}

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
  alice = { userId: t.users.alice, workspaceId: t.workspaces.a };
});

describe("which statement answers", () => {
  test("whole-hour even buckets and calendar buckets read the rollups; others the raw points", () => {
    const kpiId = randomUUID();
    const reads = (input: KpiSeriesInput) => kpiSeriesQuery(input).sql.includes("kpi_rollups_daily");
    expect(reads({ kpiId, from: at(0), to: at(30 * day), buckets: 30 })).toBe(true);
    expect(reads({ kpiId, from: at(0), to: at(30 * day), buckets: 60 })).toBe(true);
    expect(reads({ kpiId, from: at(0), to: at(30 * day), buckets: 10, previous: true })).toBe(true);
    expect(reads({ kpiId, from: at(minute), to: at(30 * day + minute), buckets: 60 })).toBe(false);
    expect(reads({ kpiId, from: at(0), to: at(30 * day), buckets: 7 })).toBe(false);
    expect(reads({ kpiId, from: at(0), to: at(day), buckets: 96 })).toBe(false);
    expect(reads({ kpiId, from: at(7), to: at(400 * day), buckets: 20, calendar: "month" })).toBe(true);
  });
});

describe("property: kpi.series and the period values on rollups answer what the raw points answer", () => {
  const seed = 20261130;
  const zones = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Australia/Lord_Howe", "America/Havana"];
  const aggregations: KpiAggregation[] = ["SUM", "AVERAGE", "LAST", "MIN", "MAX"];
  const span = 40 * day;

  // Instants on whole hours (rollup edges), just either side of one, round minutes, or anywhere.
  const wholeHour = fc.integer({ min: (-2 * day) / hour, max: span / hour }).map((h) => h * hour);
  const instant = fc.oneof(
    wholeHour,
    fc.tuple(wholeHour, fc.integer({ min: -2 * minute, max: 2 * minute })).map(([h, offset]) => h + offset),
    fc.integer({ min: (-2 * day) / minute, max: span / minute }).map((m) => m * minute),
    fc.integer({ min: -2 * day, max: span }),
  );
  const value = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(1, 3, 10)).map(([n, d]) => n / d);
  // Mostly inserts, so that reads meet points.
  const write = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant("insert" as const),
        points: fc.array(fc.record({ kpi: fc.nat(2), at: instant, value }), { minLength: 1, maxLength: 150 }),
      }),
    },
    fc.record({ kind: fc.constant("move" as const), pick: fc.nat(), shiftMs: instant }),
    fc.record({ kind: fc.constant("revalue" as const), pick: fc.nat(), value }),
    fc.record({ kind: fc.constant("delete" as const), pick: fc.nat(), every: fc.integer({ min: 2, max: 5 }) }),
    fc.record({ kind: fc.constant("zone" as const), zone: fc.constantFrom(...zones) }),
    fc.record({ kind: fc.constant("aggregation" as const), kpi: fc.nat(2), to: fc.constantFrom(...aggregations) }),
  );
  const calendar = fc.constantFrom<CalendarUnit | "auto">(...calendarUnits, "auto");
  const read = fc.record({
    kpi: fc.nat(2),
    from: instant,
    visibleAfterMs: fc.option(fc.integer({ min: 0, max: 20 * day }), { freq: 4 }),
    previous: fc.boolean(),
    // The API states the workspace again (the rollups' keys lead with it); other callers may not.
    statesWorkspace: fc.boolean(),
    zone: fc.constantFrom(...zones),
    shape: fc.oneof(
      // Even buckets of whole hours: length = buckets × width.
      fc.record({ buckets: fc.integer({ min: 1, max: 60 }), widthHours: fc.constantFrom(1, 2, 3, 6, 24, 48, 168) }),
      // Any length and count (most widths are not whole hours: the raw path, still compared).
      fc.record({ buckets: fc.integer({ min: 1, max: 60 }), lengthMs: fc.integer({ min: 1, max: span }) }),
      fc.record({ buckets: fc.constant(2000), lengthMs: fc.integer({ min: hour, max: span }), calendar }),
    ),
  });
  // The dashboard's clock: anywhere, or exactly on a point (the period's end is inclusive).
  const summary = fc.record({ now: instant, onPoint: fc.option(fc.nat(), { freq: 2 }) });
  const periods: SummaryPeriod[] = ["day", "week", "month", "quarter", "year"];

  test("random KPIs, ranges, bucket counts, calendar units, zones and interleaved writes", async () => {
    const kpiIds = [await addKpi(), await addKpi(), await addKpi()];
    const { admin } = ctx();
    const pick = <T>(list: readonly T[], index: number): T | undefined => list[index % Math.max(1, list.length)];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(write, fc.array(read, { maxLength: 3 }), fc.option(summary, { freq: 2 })), {
          minLength: 1,
          maxLength: 6,
        }),
        async (steps) => {
          await admin.query("DELETE FROM kpi_data_points WHERE kpi_id = ANY($1::uuid[])", [kpiIds]);
          await setWorkspaceZone(admin, t.workspaces.a, "UTC");
          for (const [step, reads, summaryRead] of steps) {
            const { rows } = await admin.query<{ id: string }>(
              `SELECT id::text FROM kpi_data_points WHERE kpi_id = ANY($1::uuid[]) ORDER BY "timestamp", id`,
              [kpiIds],
            );
            const ids = rows.map((row) => row.id);
            if (step.kind === "insert") {
              await insertPoints(
                step.points.map((p) => ({ kpiId: kpiIds[p.kpi] ?? "", at: at(p.at), value: p.value })),
              );
            } else if (step.kind === "move") {
              const id = pick(ids, step.pick);
              // A move onto another point's (instant, source) is refused as a whole: nothing changes.
              if (id)
                await admin
                  .query(
                    `UPDATE kpi_data_points SET "timestamp" = "timestamp" + $2 * interval '1 millisecond' WHERE id = $1`,
                    [id, step.shiftMs],
                  )
                  .catch((error: unknown) => {
                    expect(error).toMatchObject({ code: "23505" });
                  });
            } else if (step.kind === "revalue") {
              const id = pick(ids, step.pick);
              if (id) await admin.query("UPDATE kpi_data_points SET value = $2 WHERE id = $1", [id, step.value]);
            } else if (step.kind === "delete") {
              const doomed = ids.filter((_, i) => (i + step.pick) % step.every === 0);
              await admin.query("DELETE FROM kpi_data_points WHERE id = ANY($1::uuid[])", [doomed]);
            } else if (step.kind === "zone") {
              await setWorkspaceZone(admin, t.workspaces.a, step.zone);
            } else {
              await admin.query('UPDATE kpis SET aggregation = $2::"KpiAggregation" WHERE id = $1', [
                kpiIds[step.kpi],
                step.to,
              ]);
            }
            for (const r of reads) {
              const lengthMs = "widthHours" in r.shape ? r.shape.buckets * r.shape.widthHours * hour : r.shape.lengthMs;
              await expectSameSeries({
                kpiId: kpiIds[r.kpi] ?? "",
                ...(r.statesWorkspace ? { workspaceId: t.workspaces.a } : {}),
                from: at(r.from),
                to: at(r.from + lengthMs),
                buckets: r.shape.buckets,
                visibleFrom: r.visibleAfterMs === null ? null : at(r.from + r.visibleAfterMs),
                aggregation: aggregations[r.kpi % aggregations.length] ?? "AVERAGE",
                timeZone: r.zone,
                previous: r.previous,
                ...("calendar" in r.shape ? { calendar: r.shape.calendar } : {}),
              });
            }
            if (summaryRead) {
              const { rows: points } = await admin.query<{ at: Date }>(
                `SELECT "timestamp" AS at FROM kpi_data_points WHERE kpi_id = ANY($1::uuid[]) ORDER BY "timestamp", id`,
                [kpiIds],
              );
              const onPoint = summaryRead.onPoint === null ? undefined : pick(points, summaryRead.onPoint)?.at;
              for (const period of periods) await expectSameSummaries(period, onPoint ?? at(summaryRead.now));
            }
          }
        },
      ),
      { seed, numRuns: 60 },
    );
  });
});
