import { randomUUID } from "node:crypto";
import { summarizeKpi } from "@northstar/core/kpi-progress";
import { beforeAll, describe, expect, test } from "vitest";
import { createDatabase, type RawQueryable, type RequestContext } from "../src/client.ts";
import { DatabaseError } from "../src/errors.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { sql } from "../src/query.ts";
import {
  type KpiSeries,
  type KpiSeriesBucket,
  type KpiSeriesInput,
  type KpiSummariesInput,
  kpiSeries,
  kpiSeriesQuery,
  rawKpiSeriesQuery,
  kpiSummaries as kpiSummaryRows,
  seriesBuckets,
} from "../src/series.ts";
import { arrangeTenancy, type Tenancy } from "./fixtures.ts";
import { operatorTransaction } from "../src/testing/operator.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// The chart and KPI-list reads, through both handles (the Prisma transaction of withContext and
// the pipelined reader), against points placed at known instants.

const ctx = useTestDatabase();
let t: Tenancy;
const kpi = {
  series: randomUUID(),
  empty: randomUUID(),
  churn: randomUUID(),
  nps: randomUUID(),
  latency: randomUUID(),
  flat: randomUUID(),
  archived: randomUUID(),
  deploys: randomUUID(),
  queueMin: randomUUID(),
  queueMax: randomUUID(),
};
const berlin = { workspace: randomUUID(), signups: randomUUID(), deploys: randomUUID() };

/**
 * Every 20 minutes across both of Berlin's 2026 changes, values that differ in sum, mean, min,
 * max and last (some negative): what the calendar buckets are checked against.
 */
const berlinPoints = [
  ["2026-03-20T00:00:00Z", "2026-04-10T00:00:00Z"],
  ["2026-10-20T00:00:00Z", "2026-10-30T00:00:00Z"],
].flatMap(([from = "", to = ""]) => {
  const points: { at: Date; value: number }[] = [];
  for (let ms = Date.parse(from), i = 0; ms < Date.parse(to); ms += 20 * 60_000, i++)
    points.push({ at: new Date(ms), value: ((i * 37) % 101) - 20 + (i % 7) / 4 });
  return points;
});

const day = 86_400_000;
const hour = 3_600_000;
const day0 = new Date("2026-01-05T00:00:00.000Z");
const at = (ms: number) => new Date(day0.getTime() + ms);

beforeAll(async () => {
  const { admin } = ctx();
  t = await arrangeTenancy(admin);
  const a = t.workspaces.a;
  const kpis: [string, string, string, string, number | null, boolean][] = [
    [kpi.series, "Signups", "Growth", "HIGHER_IS_BETTER", null, true],
    [kpi.empty, "Nothing yet", "Growth", "HIGHER_IS_BETTER", 10, true],
    [kpi.churn, "Churn", "Revenue", "LOWER_IS_BETTER", 2, true],
    [kpi.nps, "NPS", "Product", "HIGHER_IS_BETTER", 50, true],
    [kpi.latency, "Latency", "Product", "LOWER_IS_BETTER", 200, true],
    [kpi.flat, "Flat", "Ops", "HIGHER_IS_BETTER", null, true],
    [kpi.archived, "Old", "Ops", "HIGHER_IS_BETTER", 1, false],
  ];
  for (const [id, name, category, direction, target, active] of kpis) {
    await admin.query(
      `INSERT INTO kpis (id, workspace_id, name, category, direction, target_value, is_active, archived_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 THEN NULL ELSE now() END)`,
      [id, a, name, category, direction, target, active],
    );
  }
  // Inserted out of time order, with a tie at one instant (two sources), and one point on each
  // side of the range [day0, day0 + 3 days).
  const series: [number, number, string][] = [
    [0, 1, "MANUAL"],
    [12 * hour, 3, "MANUAL"],
    [6 * hour, 5, "MANUAL"],
    [2 * day, 2, "MANUAL"],
    [3 * day - 1, 7, "MANUAL"],
    [3 * day - 1, 4, "IMPORT"],
    [-1, 100, "MANUAL"],
    [3 * day, 200, "MANUAL"],
  ];
  for (const [offset, value, source] of series) {
    await admin.query(
      `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp", source) VALUES ($1, $2, $3, $4, $5)`,
      [a, kpi.series, value, at(offset), source],
    );
  }
  // Fixed instants around summaryNow (Wednesday 2026-03-11 12:00 UTC): this week began on Monday
  // the 9th; last week "so far" is [Monday the 2nd, Wednesday the 4th 12:00].
  await admin.query(`UPDATE kpis SET aggregation = 'LAST' WHERE id = $1`, [kpi.nps]);
  const summaryKpis: [string, string, string, number | null][] = [
    [kpi.deploys, "Deploys", "SUM", 18],
    [kpi.queueMin, "Queue min", "MIN", null],
    [kpi.queueMax, "Queue max", "MAX", null],
  ];
  for (const [id, name, aggregation, target] of summaryKpis) {
    await admin.query(
      `INSERT INTO kpis (id, workspace_id, name, category, aggregation, target_value) VALUES ($1, $2, $3, 'Ops', $4, $5)`,
      [id, a, name, aggregation, target],
    );
  }
  const fixed: [string, string, number][] = [
    [kpi.churn, "2026-03-02T10:00:00Z", 5],
    [kpi.churn, "2026-03-10T09:00:00Z", 4],
    [kpi.nps, "2026-02-10T10:00:00Z", 40],
    [kpi.nps, "2026-03-09T10:00:00Z", 60],
    [kpi.flat, "2026-03-03T10:00:00Z", 10],
    [kpi.flat, "2026-03-10T10:00:00Z", 10],
    [kpi.deploys, "2026-03-09T10:00:00Z", 3],
    [kpi.deploys, "2026-03-10T09:00:00Z", 2],
    [kpi.deploys, "2026-03-11T11:00:00Z", 4],
    [kpi.deploys, "2026-03-11T13:00:00Z", 100], // after now
    [kpi.deploys, "2026-03-03T10:00:00Z", 5],
    [kpi.deploys, "2026-03-04T10:00:00Z", 1],
    [kpi.deploys, "2026-03-05T10:00:00Z", 50], // last week, but later into it than now is into this one
    [kpi.deploys, "2026-03-08T23:59:00Z", 7],
  ];
  for (const id of [kpi.queueMin, kpi.queueMax]) {
    fixed.push(
      [id, "2026-03-09T10:00:00Z", 5],
      [id, "2026-03-10T10:00:00Z", 3],
      [id, "2026-03-03T10:00:00Z", 8],
      [id, "2026-03-04T13:00:00Z", 1],
    );
  }
  for (const [id, timestamp, value] of fixed) {
    await admin.query(
      `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp") VALUES ($1, $2, $3, $4)`,
      [a, id, value, new Date(timestamp)],
    );
  }
  // A workspace in Europe/Berlin, where 2026-03-29 has 23 hours and 2026-10-25 has 25.
  await operatorTransaction(admin, async (client) => {
    await client.query(
      `INSERT INTO workspaces (id, name, slug, time_zone) VALUES ($1, 'Berlin', $2, 'Europe/Berlin')`,
      [berlin.workspace, `berlin-${berlin.workspace.slice(0, 8)}`],
    );
    await client.query(`INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')`, [
      berlin.workspace,
      t.users.alice,
    ]);
  });
  await admin.query(
    `INSERT INTO kpis (id, workspace_id, name, aggregation) VALUES ($1, $3, 'Signups', 'SUM'), ($2, $3, 'Deploys', 'SUM')`,
    [berlin.signups, berlin.deploys, berlin.workspace],
  );
  await admin.query(
    `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp") SELECT $1, $2, v.value, v.ts
       FROM unnest($3::float8[], $4::timestamptz[]) AS v(value, ts)`,
    [berlin.workspace, berlin.signups, berlinPoints.map((point) => point.value), berlinPoints.map((point) => point.at)],
  );
  const deploys: [string, number][] = [
    ["2026-03-28T22:30:00Z", 1], // 23:30 on the 28th in Berlin
    ["2026-03-28T23:30:00Z", 2], // 00:30 on the 29th
    ["2026-03-29T21:30:00Z", 4], // 23:30 CEST on the 29th
    ["2026-03-29T22:30:00Z", 8], // 00:30 on the 30th
  ];
  for (const [timestamp, value] of deploys) {
    await admin.query(
      `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp") VALUES ($1, $2, $3, $4)`,
      [berlin.workspace, berlin.deploys, value, new Date(timestamp)],
    );
  }
});

type Run = <T>(context: RequestContext, read: (db: RawQueryable) => Promise<T>) => Promise<T>;
const handles: [string, Run][] = [
  ["withContext (Prisma transaction)", (context, read) => ctx().db.withContext(context, (tx) => read(tx))],
  ["reader (one round trip)", (context, read) => read(ctx().db.reader(context))],
];

const empty = (bucketStart: Date, widthMs: number): KpiSeriesBucket => ({
  bucketStart,
  bucketEnd: new Date(bucketStart.getTime() + widthMs),
  value: null,
  sum: null,
  avg: null,
  min: null,
  max: null,
  last: null,
  count: 0,
});
const aliceIn = (workspace: "a" | "b"): RequestContext => ({
  userId: t.users.alice,
  workspaceId: t.workspaces[workspace],
});

describe.each(handles)("kpiSeries through %s", (_, run) => {
  test("buckets a range by day, with min, max, avg, last and count, and gaps as empty buckets", async () => {
    const series = await run(aliceIn("a"), (db) =>
      kpiSeries(db, { kpiId: kpi.series, from: day0, to: at(3 * day), buckets: 3 }),
    );
    expect(series.bucketWidthMs).toBe(day);
    expect(series.buckets).toHaveLength(3);
    expect(series.calendar).toBe("day");
    expect(series.buckets[0]).toEqual({
      bucketStart: day0,
      bucketEnd: at(day),
      value: 3,
      sum: 9,
      avg: 3,
      min: 1,
      max: 5,
      last: 3,
      count: 3,
    });
    expect(series.buckets[1]).toEqual(empty(at(day), day));
    const third = series.buckets[2];
    expect(third).toMatchObject({ bucketStart: at(2 * day), min: 2, max: 7, count: 3 });
    expect(third?.avg).toBeCloseTo(13 / 3, 12);
    // Two points share the newest instant: the smaller value is the bucket's last.
    expect(third?.last).toBe(4);
  });

  test("one bucket aggregates the whole range; finer buckets split it", async () => {
    const whole = await run(aliceIn("a"), (db) =>
      kpiSeries(db, { kpiId: kpi.series, from: day0, to: at(3 * day), buckets: 1 }),
    );
    expect(whole.buckets).toHaveLength(1);
    expect(whole.buckets[0]).toMatchObject({ bucketStart: day0, min: 1, max: 7, last: 4, count: 6 });
    expect(whole.buckets[0]?.avg).toBeCloseTo(22 / 6, 12);
    // A bucket wider than 2^31 ms, reaching back over the point just before day0.
    const years = await run(aliceIn("a"), (db) =>
      kpiSeries(db, { kpiId: kpi.series, from: at(-3 * 365 * day), to: at(3 * day), buckets: 1 }),
    );
    expect(years.buckets).toHaveLength(1);
    expect(years.buckets[0]).toMatchObject({ bucketStart: at(-3 * 365 * day), min: 1, max: 100, last: 4, count: 7 });
    const halfDays = await run(aliceIn("a"), (db) =>
      kpiSeries(db, { kpiId: kpi.series, from: day0, to: at(3 * day), buckets: 6 }),
    );
    expect(halfDays.bucketWidthMs).toBe(12 * hour);
    expect(halfDays.buckets.map((bucket) => bucket.count)).toEqual([2, 1, 0, 0, 1, 2]);
    expect(halfDays.buckets.map((bucket) => bucket.last)).toEqual([5, 3, null, null, 2, 4]);
  });

  test("a range that does not divide evenly gets at most `buckets` buckets, all starting before `to`", async () => {
    const to = at(10 * hour);
    const series = await run(aliceIn("a"), (db) => kpiSeries(db, { kpiId: kpi.series, from: day0, to, buckets: 7 }));
    const width = Math.ceil((10 * hour) / 7);
    expect(series.bucketWidthMs).toBe(width);
    expect(series.buckets.map((bucket) => bucket.bucketStart.getTime())).toEqual(
      [0, 1, 2, 3, 4, 5, 6].map((k) => day0.getTime() + k * width),
    );
    expect(series.buckets.map((bucket) => bucket.count)).toEqual([1, 0, 0, 0, 1, 0, 0]);
    expect(series.buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(2);
  });

  test("a range without points, and a KPI without points, give empty buckets", async () => {
    const before = await run(aliceIn("a"), (db) =>
      kpiSeries(db, { kpiId: kpi.series, from: at(-10 * day), to: at(-2 * day), buckets: 4 }),
    );
    expect(before.buckets).toEqual([0, 1, 2, 3].map((k) => empty(at(-10 * day + k * 2 * day), 2 * day)));
    const none = await run(aliceIn("a"), (db) =>
      kpiSeries(db, { kpiId: kpi.empty, from: day0, to: at(day), buckets: 24 }),
    );
    expect(none.buckets).toHaveLength(24);
    expect(none.buckets.every((bucket) => bucket.count === 0 && bucket.avg === null)).toBe(true);
  });

  test("only the context workspace's points count", async () => {
    const range = { kpiId: kpi.series, from: day0, to: at(3 * day), buckets: 3 };
    const total = async (context: RequestContext) =>
      (await run(context, (db) => kpiSeries(db, range))).buckets.reduce((sum, bucket) => sum + bucket.count, 0);
    expect(await total(aliceIn("a"))).toBe(6);
    // Alice belongs to both workspaces, but the context is B: A's KPI reads as empty.
    expect(await total(aliceIn("b"))).toBe(0);
    // Carol is not a member of A: claiming it as her context shows nothing.
    expect(await total({ userId: t.users.carol, workspaceId: t.workspaces.a })).toBe(0);
    expect(await total({ userId: t.users.dave, workspaceId: t.workspaces.a })).toBe(0);
    expect(await total({ userId: null, workspaceId: null })).toBe(0);
  });

  test("invalid input is refused before any SQL runs", async () => {
    const valid: KpiSeriesInput = { kpiId: kpi.series, from: day0, to: at(day), buckets: 24 };
    const attempt = (input: Partial<KpiSeriesInput>) =>
      run(aliceIn("a"), (db) => kpiSeries(db, { ...valid, ...input }));
    await expect(attempt({ to: day0 })).rejects.toThrow(/from .* must be before to/);
    await expect(attempt({ from: at(day), to: day0 })).rejects.toThrow(RangeError);
    for (const buckets of [0, -1, 2001, 1.5, Number.NaN]) {
      await expect(attempt({ buckets })).rejects.toThrow(/buckets must be an integer from 1 to 2000/);
    }
    await expect(attempt({ buckets: 2000 })).resolves.toBeDefined();
    await expect(attempt({ from: new Date("not a date") })).rejects.toThrow(/from must be a valid Date/);
    await expect(attempt({ kpiId: "42; DROP TABLE kpis" })).rejects.toThrow(/kpiId must be a UUID/);
    await expect(attempt({ from: new Date("1900-01-01T00:00:00Z") })).rejects.toThrow(/at most 100 years apart/);
  });
});

describe("seriesBuckets", () => {
  test("a year of minute data in 365 buckets is one bucket a day", () => {
    const from = new Date("2025-01-01T00:00:00Z");
    const to = new Date("2026-01-01T00:00:00Z");
    expect(seriesBuckets({ kpiId: kpi.series, from, to, buckets: 365 })).toEqual({ widthMs: day, count: 365 });
    expect(seriesBuckets({ kpiId: kpi.series, from, to: new Date(from.getTime() + 1000), buckets: 2000 })).toEqual({
      widthMs: 1,
      count: 1000,
    });
  });

  test("the statement carries every value as a parameter", () => {
    const input = { kpiId: kpi.series, from: day0, to: at(day), buckets: 24 };
    const query = kpiSeriesQuery(input);
    expect(query.text).not.toContain(kpi.series);
    expect(query.values).toContain(kpi.series);
    expect(rawKpiSeriesQuery(input).values).toEqual([hour, day0, kpi.series, day0, at(day)]);
  });
});

// The rows with the figures the API adds to them (@northstar/core's maths), as kpi.summary answers.
const summaryNow = new Date("2026-03-11T12:00:00Z");
const kpiSummaries = async (db: RawQueryable, input: KpiSummariesInput) =>
  (await kpiSummaryRows(db, { now: summaryNow, ...input })).map(summarizeKpi);
type KpiSummary = Awaited<ReturnType<typeof kpiSummaries>>[number];
const summaryOf = (summaries: KpiSummary[], id: string) => summaries.find((summary) => summary.id === id);

describe.each(handles)("kpiSummaries through %s", (_, run) => {
  test("lists the active KPIs by category and name, each valued for the period as it adds up", async () => {
    const summaries = await run(aliceIn("a"), (db) =>
      kpiSummaries(db, { workspaceId: t.workspaces.a, period: "week" }),
    );
    expect(summaries.map((summary) => summary.name)).toEqual([
      "Revenue a",
      "Nothing yet",
      "Signups",
      "Deploys",
      "Flat",
      "Queue max",
      "Queue min",
      "Latency",
      "NPS",
      "Churn",
    ]);
    const week = summaryOf(summaries, kpi.deploys);
    expect(week).toMatchObject({
      periodStart: new Date("2026-03-09T00:00:00Z"),
      previousPeriodStart: new Date("2026-03-02T00:00:00Z"),
      previousPeriodEnd: new Date("2026-03-04T12:00:00Z"),
    });
    // SUM: this week's total so far (3 + 2 + 4; the point after now waits) against last week's
    // up to Wednesday noon (5 + 1); progress is that total against the target of 18.
    expect(week).toMatchObject({
      aggregation: "SUM",
      currentValue: 9,
      previousValue: 6,
      change: 3,
      changePct: 50,
      trend: "better",
      progressPct: 50,
      latestValue: 100,
    });
    // AVERAGE, lower is better: this week's mean 4 against last week's 5; 4 against a target of 2 is halfway.
    expect(summaryOf(summaries, kpi.churn)).toMatchObject({
      aggregation: "AVERAGE",
      direction: "LOWER_IS_BETTER",
      currentValue: 4,
      previousValue: 5,
      change: -1,
      changePct: -20,
      trend: "better",
      progressPct: 50,
    });
    // LAST: the newest value at each point in time, however old.
    expect(summaryOf(summaries, kpi.nps)).toMatchObject({
      currentValue: 60,
      previousValue: 40,
      change: 20,
      changePct: 50,
      trend: "better",
      progressPct: 100,
    });
    // MIN and MAX: the extremes of each period so far (last week's 1 came after Wednesday noon).
    expect(summaryOf(summaries, kpi.queueMin)).toMatchObject({ currentValue: 3, previousValue: 8 });
    expect(summaryOf(summaries, kpi.queueMax)).toMatchObject({ currentValue: 5, previousValue: 8 });
    expect(summaryOf(summaries, kpi.flat)).toMatchObject({
      currentValue: 10,
      previousValue: 10,
      change: 0,
      trend: "flat",
      progressPct: null,
    });
    expect(summaryOf(summaries, kpi.latency)).toMatchObject({
      currentValue: null,
      previousValue: null,
      change: null,
      changePct: null,
      trend: null,
      progressPct: null,
    });
    expect(summaryOf(summaries, kpi.nps)?.currentValueAt).toBeInstanceOf(Date);
    expect(summaryOf(summaries, kpi.archived)).toBeUndefined();
  });

  test("the period decides what is summed and what it is compared with", async () => {
    const daily = await run(aliceIn("a"), (db) => kpiSummaries(db, { workspaceId: t.workspaces.a, period: "day" }));
    expect(summaryOf(daily, kpi.deploys)).toMatchObject({ currentValue: 4, previousValue: 2, change: 2 });
    expect(summaryOf(daily, kpi.nps)).toMatchObject({ currentValue: 60, previousValue: 60, change: 0, trend: "flat" });
    // No churn figure today yet: an average of nothing is unknown, not 0.
    expect(summaryOf(daily, kpi.churn)).toMatchObject({ currentValue: null, previousValue: 4, change: null });
    const monthly = await run(aliceIn("a"), (db) => kpiSummaries(db, { workspaceId: t.workspaces.a, period: "month" }));
    expect(summaryOf(monthly, kpi.deploys)).toMatchObject({
      periodStart: new Date("2026-03-01T00:00:00Z"),
      currentValue: 3 + 2 + 4 + 5 + 1 + 50 + 7,
      previousValue: null,
      change: null,
    });
    expect(summaryOf(monthly, kpi.churn)).toMatchObject({ currentValue: 4.5, previousValue: null, trend: null });
  });

  test("periods are calendar periods in the workspace's time zone, 23-hour days included", async () => {
    const inBerlin = { userId: t.users.alice, workspaceId: berlin.workspace };
    const monday = new Date("2026-03-30T10:00:00Z"); // 12:00 CEST
    const daily = await run(inBerlin, (db) =>
      kpiSummaryRows(db, { workspaceId: berlin.workspace, period: "day", now: monday }),
    );
    expect(daily.find((row) => row.id === berlin.deploys)).toMatchObject({
      periodStart: new Date("2026-03-29T22:00:00Z"),
      // Sunday the 29th began at 00:00 CET and lasted 23 hours.
      previousPeriodStart: new Date("2026-03-28T23:00:00Z"),
      previousPeriodEnd: new Date("2026-03-29T10:00:00Z"),
      currentValue: 8,
      previousValue: 2,
    });
    const sunday = await run(inBerlin, (db) =>
      kpiSummaryRows(db, { workspaceId: berlin.workspace, period: "day", now: new Date("2026-03-29T21:45:00Z") }),
    );
    expect(sunday.find((row) => row.id === berlin.deploys)).toMatchObject({ currentValue: 2 + 4, previousValue: 1 });
  });

  test("filters by category and limits", async () => {
    const product = await run(aliceIn("a"), (db) =>
      kpiSummaries(db, { workspaceId: t.workspaces.a, period: "week", category: "Product" }),
    );
    expect(product.map((summary) => summary.name)).toEqual(["Latency", "NPS"]);
    const firstTwo = await run(aliceIn("a"), (db) =>
      kpiSummaries(db, { workspaceId: t.workspaces.a, period: "week", limit: 2 }),
    );
    expect(firstTwo.map((summary) => summary.name)).toEqual(["Revenue a", "Nothing yet"]);
  });

  test("only the context workspace's KPIs are listed", async () => {
    expect(await run(aliceIn("a"), (db) => kpiSummaries(db, { workspaceId: t.workspaces.b, period: "week" }))).toEqual(
      [],
    );
    const inB = await run(aliceIn("b"), (db) => kpiSummaries(db, { workspaceId: t.workspaces.b, period: "week" }));
    expect(inB.map((summary) => summary.id)).toEqual([t.kpis.b]);
    expect(
      await run({ userId: t.users.dave, workspaceId: t.workspaces.a }, (db) =>
        kpiSummaries(db, { workspaceId: t.workspaces.a, period: "week" }),
      ),
    ).toEqual([]);
  });

  test("invalid input is refused", async () => {
    const attempt = (input: object) =>
      run(aliceIn("a"), (db) => kpiSummaries(db, { workspaceId: t.workspaces.a, period: "week", ...input }));
    await expect(attempt({ workspaceId: "a" })).rejects.toThrow(/workspaceId must be a UUID/);
    await expect(attempt({ period: "fortnight" })).rejects.toThrow(
      /period must be one of day, week, month, quarter, year/,
    );
    for (const limit of [0, 201, 2.5])
      await expect(attempt({ limit })).rejects.toThrow(/limit must be an integer from 1 to 200/);
    await expect(attempt({ now: new Date(Number.NaN) })).rejects.toThrow(/now must be a valid Date/);
  });
});

// ---------------------------------------------------------------------------------------------
// Calendar buckets in Europe/Berlin, each figure checked against the points in the bucket.

const aggregations = ["SUM", "AVERAGE", "LAST", "MIN", "MAX"] as const;

/** The figures of the points in [start, end), computed here from the fixture's list. */
function expectedFigures(start: Date, end: Date) {
  const inside = berlinPoints.filter((point) => point.at >= start && point.at < end);
  if (inside.length === 0) return { count: 0, sum: null, avg: null, min: null, max: null, last: null };
  const values = inside.map((point) => point.value);
  const sum = values.reduce((total, value) => total + value, 0);
  const newest = inside.reduce((latest, point) => (point.at > latest.at ? point : latest));
  return {
    count: inside.length,
    sum,
    avg: sum / inside.length,
    min: Math.min(...values),
    max: Math.max(...values),
    last: newest.value,
  };
}

const figureOf = { SUM: "sum", AVERAGE: "avg", LAST: "last", MIN: "min", MAX: "max" } as const;

function expectBucketsToMatchPoints(series: KpiSeries, aggregation: (typeof aggregations)[number]): void {
  for (const bucket of series.buckets) {
    const expected = expectedFigures(bucket.bucketStart, bucket.bucketEnd);
    expect(bucket.count).toBe(expected.count);
    for (const figure of ["sum", "avg", "min", "max", "last"] as const) {
      const want = expected[figure];
      if (want === null) expect(bucket[figure]).toBeNull();
      else expect(bucket[figure]).toBeCloseTo(want, 9);
    }
    expect(bucket.value).toBe(bucket[figureOf[aggregation]]);
  }
}

const berlinContext = (): RequestContext => ({ userId: t.users.alice, workspaceId: berlin.workspace });
const hoursOf = (series: KpiSeries) =>
  series.buckets.map((bucket) => (bucket.bucketEnd.getTime() - bucket.bucketStart.getTime()) / hour);
const startsOf = (series: KpiSeries) => series.buckets.map((bucket) => bucket.bucketStart.toISOString());

describe.each(handles)("calendar buckets through %s", (_, run) => {
  test.each(aggregations)(
    "days across the spring change start at local midnight; %s is each bucket's value",
    async (aggregation) => {
      const series = await run(berlinContext(), (db) =>
        kpiSeries(db, {
          kpiId: berlin.signups,
          from: new Date("2026-03-27T12:00:00Z"),
          to: new Date("2026-03-31T12:00:00Z"),
          buckets: 10,
          calendar: "day",
          timeZone: "Europe/Berlin",
          aggregation,
        }),
      );
      expect(series).toMatchObject({ calendar: "day", timeZone: "Europe/Berlin", bucketWidthMs: day });
      // The first bucket is the whole day holding `from`; the last starts before `to`.
      expect(startsOf(series)).toEqual([
        "2026-03-26T23:00:00.000Z",
        "2026-03-27T23:00:00.000Z",
        "2026-03-28T23:00:00.000Z",
        "2026-03-29T22:00:00.000Z",
        "2026-03-30T22:00:00.000Z",
      ]);
      expect(hoursOf(series)).toEqual([24, 24, 23, 24, 24]);
      expectBucketsToMatchPoints(series, aggregation);
    },
  );

  test.each(aggregations)("the autumn change makes a 25-hour day; %s is each bucket's value", async (aggregation) => {
    const series = await run(berlinContext(), (db) =>
      kpiSeries(db, {
        kpiId: berlin.signups,
        from: new Date("2026-10-24T00:00:00Z"),
        to: new Date("2026-10-27T00:00:00Z"),
        buckets: 10,
        calendar: "day",
        timeZone: "Europe/Berlin",
        aggregation,
      }),
    );
    expect(startsOf(series)).toEqual([
      "2026-10-23T22:00:00.000Z",
      "2026-10-24T22:00:00.000Z",
      "2026-10-25T23:00:00.000Z",
      "2026-10-26T23:00:00.000Z",
    ]);
    expect(hoursOf(series)).toEqual([24, 25, 24, 24]);
    expectBucketsToMatchPoints(series, aggregation);
  });

  test("weeks start on Monday and months on the 1st, at local midnight", async () => {
    const weeks = await run(berlinContext(), (db) =>
      kpiSeries(db, {
        kpiId: berlin.signups,
        from: new Date("2026-03-25T00:00:00Z"),
        to: new Date("2026-04-07T00:00:00Z"),
        buckets: 5,
        calendar: "week",
        timeZone: "Europe/Berlin",
        aggregation: "SUM",
      }),
    );
    expect(startsOf(weeks)).toEqual([
      "2026-03-22T23:00:00.000Z",
      "2026-03-29T22:00:00.000Z",
      "2026-04-05T22:00:00.000Z",
    ]);
    expect(hoursOf(weeks)).toEqual([7 * 24 - 1, 7 * 24, 7 * 24]);
    expectBucketsToMatchPoints(weeks, "SUM");
    const months = await run(berlinContext(), (db) =>
      kpiSeries(db, {
        kpiId: berlin.signups,
        from: new Date("2026-03-15T00:00:00Z"),
        to: new Date("2026-04-15T00:00:00Z"),
        buckets: 5,
        calendar: "month",
        timeZone: "Europe/Berlin",
        aggregation: "MAX",
      }),
    );
    expect(startsOf(months)).toEqual(["2026-02-28T23:00:00.000Z", "2026-03-31T22:00:00.000Z"]);
    expectBucketsToMatchPoints(months, "MAX");
  });

  test("a width of exactly a day is local days; auto picks the finest unit within `buckets`", async () => {
    const from = new Date("2026-03-27T00:00:00Z");
    const to = new Date("2026-03-31T00:00:00Z");
    const daily = await run(berlinContext(), (db) =>
      kpiSeries(db, { kpiId: berlin.signups, from, to, buckets: 4, timeZone: "Europe/Berlin" }),
    );
    expect(daily.calendar).toBe("day");
    expect(startsOf(daily)[0]).toBe("2026-03-26T23:00:00.000Z");
    const hourly = await run(berlinContext(), (db) =>
      kpiSeries(db, { kpiId: berlin.signups, from, to, buckets: 200, calendar: "auto", timeZone: "Europe/Berlin" }),
    );
    expect(hourly.calendar).toBe("hour");
    // 96 hours, one of them skipped by the clocks: the buckets are still hours, 95 local ones plus the gap's.
    expect(hourly.buckets).toHaveLength(96);
    expectBucketsToMatchPoints(hourly, "AVERAGE");
    const auto = await run(berlinContext(), (db) =>
      kpiSeries(db, { kpiId: berlin.signups, from, to, buckets: 20, calendar: "auto", timeZone: "Europe/Berlin" }),
    );
    expect(auto.calendar).toBe("day");
    // Too few buckets for even a year each: even buckets.
    const even = await run(berlinContext(), (db) =>
      kpiSeries(db, { kpiId: berlin.signups, from, to, buckets: 1, calendar: "auto", timeZone: "Europe/Berlin" }),
    );
    expect(even).toMatchObject({ calendar: null, bucketWidthMs: 4 * day });
  });

  test("the comparison period is as many buckets just before the first", async () => {
    const range = {
      kpiId: berlin.signups,
      from: new Date("2026-04-02T12:00:00Z"),
      to: new Date("2026-04-04T12:00:00Z"),
      buckets: 10,
      calendar: "day" as const,
      timeZone: "Europe/Berlin",
      aggregation: "SUM" as const,
    };
    const [current, previous] = await run(berlinContext(), async (db) => [
      await kpiSeries(db, range),
      await kpiSeries(db, { ...range, previous: true }),
    ]);
    expect(startsOf(current)).toEqual([
      "2026-04-01T22:00:00.000Z",
      "2026-04-02T22:00:00.000Z",
      "2026-04-03T22:00:00.000Z",
    ]);
    expect(startsOf(previous)).toEqual([
      "2026-03-29T22:00:00.000Z",
      "2026-03-30T22:00:00.000Z",
      "2026-03-31T22:00:00.000Z",
    ]);
    expect(previous.buckets.at(-1)?.bucketEnd).toEqual(current.buckets[0]?.bucketStart);
    expectBucketsToMatchPoints(previous, "SUM");
  });

  test("the plan's window leaves points out of a calendar bucket, not the bucket", async () => {
    const visibleFrom = new Date("2026-03-28T12:00:00Z");
    const series = await run(berlinContext(), (db) =>
      kpiSeries(db, {
        kpiId: berlin.signups,
        from: new Date("2026-03-27T12:00:00Z"),
        to: new Date("2026-03-29T12:00:00Z"),
        buckets: 10,
        calendar: "day",
        timeZone: "Europe/Berlin",
        aggregation: "SUM",
        visibleFrom,
      }),
    );
    expect(series.buckets.map((bucket) => bucket.count)).toEqual([
      0,
      expectedFigures(visibleFrom, new Date("2026-03-28T23:00:00Z")).count,
      expectedFigures(new Date("2026-03-28T23:00:00Z"), new Date("2026-03-29T22:00:00Z")).count,
    ]);
  });

  test("an unknown zone or unit is refused", async () => {
    const range = {
      kpiId: berlin.signups,
      from: new Date("2026-03-27T00:00:00Z"),
      to: new Date("2026-03-28T00:00:00Z"),
      buckets: 5,
    };
    await expect(
      run(berlinContext(), (db) => kpiSeries(db, { ...range, calendar: "day", timeZone: "Mars/Olympus" })),
    ).rejects.toThrow(/time zone/);
    await expect(
      run(berlinContext(), (db) => kpiSeries(db, { ...range, calendar: "fortnight" as "day" })),
    ).rejects.toThrow(/calendar must be/);
  });
});

describe("database.reader", () => {
  test("one connection serves interleaved contexts, failures included, without mixing them up", async () => {
    const db = createDatabase({ url: ctx().database.hostUrl, poolSize: 1 });
    try {
      const kpisOf = async (context: RequestContext) =>
        (
          await db.reader(context).$queryRaw<{ id: string }[]>(Prisma.sql`SELECT id::text AS id FROM kpis ORDER BY id`)
        ).map((row) => row.id);
      const carolInB: RequestContext = { userId: t.users.carol, workspaceId: t.workspaces.b };
      const reads = await Promise.all(
        Array.from({ length: 20 }, (_, i) => kpisOf(i % 2 === 0 ? aliceIn("a") : carolInB)),
      );
      for (const [i, ids] of reads.entries()) {
        if (i % 2 === 0) expect(ids).toContain(t.kpis.a);
        else expect(ids).toEqual([t.kpis.b]);
      }
      const failed: unknown = await db
        .reader(aliceIn("a"))
        .$queryRaw(Prisma.sql`SELECT ${"not a uuid"}::uuid`)
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failed).toBeInstanceOf(DatabaseError);
      expect((failed as DatabaseError).kind).toBe("invalid_input");
      expect(await kpisOf(carolInB)).toEqual([t.kpis.b]);
      expect(await kpisOf({ userId: null, workspaceId: null })).toEqual([]);
    } finally {
      await db.close();
    }
  });

  test("batch: several statements, one snapshot, answers in order; a failed one fails the batch", async () => {
    const reader = ctx().db.reader(aliceIn("a"));
    const [kpis, now1, now2] = await reader.batch(
      sql<{ id: string }>`SELECT id::text AS id FROM kpis ORDER BY id`,
      sql<{
        at: Date;
        tx: string | null;
        isolation: string;
      }>`SELECT statement_timestamp() AS at, txid_current_if_assigned() AS tx, current_setting('transaction_isolation') AS isolation`,
      sql<{
        workspace: string;
        role: string;
      }>`SELECT current_setting('app.workspace_id') AS workspace, current_user AS role`,
    );
    expect(kpis.map((row) => row.id)).toContain(t.kpis.a);
    expect(now1[0]).toMatchObject({ isolation: "repeatable read" });
    expect(now2[0]).toEqual({ workspace: t.workspaces.a, role: "northstar_app" });
    const failed: unknown = await reader.batch(sql`SELECT 1`, sql`SELECT ${"x"}::uuid`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(DatabaseError);
    // The connection went back clean: the next read works in its own context.
    expect((await reader.batch(sql<{ one: number }>`SELECT 1 AS one`))[0]).toEqual([{ one: 1 }]);
  });

  test("is read-only and refuses a malformed context before connecting", async () => {
    const reader = ctx().db.reader(aliceIn("a"));
    const refused: unknown = await reader.$queryRaw(Prisma.sql`UPDATE kpis SET name = name || '!' RETURNING id`).then(
      () => undefined,
      (error: unknown) => error,
    );
    // 25006 read_only_sql_transaction, raw or wrapped (errors.ts does not map it to a kind yet).
    const code = (error: unknown) =>
      typeof error === "object" && error !== null && "code" in error ? error.code : undefined;
    expect(code(refused) ?? code(refused instanceof Error ? refused.cause : undefined)).toBe("25006");
    const { rows } = await ctx().admin.query<{ n: string }>("SELECT count(*) AS n FROM kpis WHERE name LIKE '%!'");
    expect(rows[0]?.n).toBe("0");
    expect(() => ctx().db.reader({ userId: "1' OR '1'='1", workspaceId: null })).toThrow(/userId must be a UUID/);
  });
});
