import { randomUUID } from "node:crypto";
import { summarizeKpi } from "@northstar/core/kpi-progress";
import { beforeAll, describe, expect, test } from "vitest";
import { createDatabase, type RawQueryable, type RequestContext } from "../src/client.ts";
import { DatabaseError } from "../src/errors.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { sql } from "../src/query.ts";
import {
  type KpiSeriesBucket,
  type KpiSeriesInput,
  type KpiSummariesInput,
  kpiSeries,
  kpiSeriesQuery,
  kpiSummaries as kpiSummaryRows,
  seriesBuckets,
} from "../src/series.ts";
import { arrangeTenancy, type Tenancy } from "./fixtures.ts";
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
};

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
  // Relative to now: the summaries compare with the value one period back from now().
  const recent: [string, string, number][] = [
    [kpi.churn, "8 days", 5],
    [kpi.churn, "1 hour", 4],
    [kpi.nps, "30 days", 40],
    [kpi.nps, "2 days", 60],
    [kpi.flat, "10 days", 10],
    [kpi.flat, "1 day", 10],
  ];
  for (const [id, ago, value] of recent) {
    await admin.query(
      `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp") VALUES ($1, $2, $3, now() - $4::interval)`,
      [a, id, value, ago],
    );
  }
});

type Run = <T>(context: RequestContext, read: (db: RawQueryable) => Promise<T>) => Promise<T>;
const handles: [string, Run][] = [
  ["withContext (Prisma transaction)", (context, read) => ctx().db.withContext(context, (tx) => read(tx))],
  ["reader (one round trip)", (context, read) => read(ctx().db.reader(context))],
];

const empty = (bucketStart: Date): KpiSeriesBucket => ({
  bucketStart,
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
    expect(series.buckets[0]).toEqual({ bucketStart: day0, avg: 3, min: 1, max: 5, last: 3, count: 3 });
    expect(series.buckets[1]).toEqual(empty(at(day)));
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
    expect(before.buckets).toEqual([0, 1, 2, 3].map((k) => empty(at(-10 * day + k * 2 * day))));
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
    const query = kpiSeriesQuery({ kpiId: kpi.series, from: day0, to: at(day), buckets: 24 });
    expect(query.text).not.toContain(kpi.series);
    expect(query.values).toEqual([hour, day0, kpi.series, day0, at(day)]);
  });
});

// The rows with the figures the API adds to them (@northstar/core's maths), as kpi.summary answers.
const kpiSummaries = async (db: RawQueryable, input: KpiSummariesInput) =>
  (await kpiSummaryRows(db, input)).map(summarizeKpi);
type KpiSummary = Awaited<ReturnType<typeof kpiSummaries>>[number];
const summaryOf = (summaries: KpiSummary[], id: string) => summaries.find((summary) => summary.id === id);

describe.each(handles)("kpiSummaries through %s", (_, run) => {
  test("lists the active KPIs by category and name, with progress and change over the period", async () => {
    const summaries = await run(aliceIn("a"), (db) =>
      kpiSummaries(db, { workspaceId: t.workspaces.a, period: "week" }),
    );
    expect(summaries.map((summary) => summary.name)).toEqual([
      "Revenue a",
      "Nothing yet",
      "Signups",
      "Flat",
      "Latency",
      "NPS",
      "Churn",
    ]);
    // The fixture's KPI: value g at now - g days (g = 1..10), target 100.
    expect(summaryOf(summaries, t.kpis.a)).toMatchObject({
      currentValue: 1,
      previousValue: 7,
      change: -6,
      trend: "worse",
      progressPct: 1,
      targetValue: 100,
    });
    expect(summaryOf(summaries, t.kpis.a)?.changePct).toBeCloseTo((-6 / 7) * 100, 10);
    // Lower is better: 5 -> 4 is an improvement, and 4 against a target of 2 is halfway.
    expect(summaryOf(summaries, kpi.churn)).toMatchObject({
      direction: "LOWER_IS_BETTER",
      currentValue: 4,
      previousValue: 5,
      change: -1,
      changePct: -20,
      trend: "better",
      progressPct: 50,
    });
    expect(summaryOf(summaries, kpi.nps)).toMatchObject({
      currentValue: 60,
      previousValue: 40,
      change: 20,
      changePct: 50,
      trend: "better",
      progressPct: 100,
    });
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

  test("the period decides which value is the previous one", async () => {
    const daily = await run(aliceIn("a"), (db) => kpiSummaries(db, { workspaceId: t.workspaces.a, period: "day" }));
    expect(summaryOf(daily, kpi.nps)).toMatchObject({ previousValue: 60, change: 0, trend: "flat" });
    expect(summaryOf(daily, kpi.churn)).toMatchObject({ previousValue: 5, change: -1, trend: "better" });
    const monthly = await run(aliceIn("a"), (db) => kpiSummaries(db, { workspaceId: t.workspaces.a, period: "month" }));
    // Churn has no point a month old.
    expect(summaryOf(monthly, kpi.churn)).toMatchObject({ previousValue: null, change: null, trend: null });
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
