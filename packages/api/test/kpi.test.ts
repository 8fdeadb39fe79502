import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, test } from "vitest";
import { ImportLinesError } from "../src/kpi/import.ts";
import {
  callerFor,
  createWorkspace,
  expectCode,
  giveSubscription,
  ownerMemberViewer,
  type SignedInUser,
  signedInUser,
  useApiDatabase,
} from "./support.ts";

const ctx = useApiDatabase();
let owner: SignedInUser, member: SignedInUser, viewer: SignedInUser;
let ws: { workspaceId: string };

const day = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * day);

beforeAll(async () => {
  ({ owner, member, viewer, ws } = await ownerMemberViewer(ctx()));
  // A paid owner: the KPI-limit tests below use a workspace of their own.
  await giveSubscription(ctx().admin, owner.id, "PRO");
});

async function pointCount(kpiId: string): Promise<number> {
  const rows = await ctx().admin.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM kpi_data_points WHERE kpi_id = $1",
    [kpiId],
  );
  return rows.rows[0]?.n ?? -1;
}

describe("KPIs", () => {
  test("create with defaults; get with progress; members write, viewers read", async () => {
    const kpi = await member.caller.kpi.create({ ...ws, name: "  Signups  ", targetValue: 200 });
    expect(kpi).toMatchObject({
      name: "Signups",
      category: "General",
      direction: "HIGHER_IS_BETTER",
      unit: "",
      isActive: true,
      progressPct: null,
    });
    expect(await viewer.caller.kpi.get({ ...ws, kpiId: kpi.id })).toMatchObject({ id: kpi.id, name: "Signups" });
    await expectCode(viewer.caller.kpi.create({ ...ws, name: "Viewer's" }), "FORBIDDEN");
    await expectCode(viewer.caller.kpi.update({ ...ws, kpiId: kpi.id, name: "Viewer's" }), "FORBIDDEN");
    await expectCode(member.caller.kpi.get({ ...ws, kpiId: crypto.randomUUID() }), "NOT_FOUND");
  });

  test("validation names the field and the rule", async () => {
    const error = await expectCode(owner.caller.kpi.create({ ...ws, name: "x".repeat(121) }), "BAD_REQUEST");
    expect(error.message).toContain("KPI name must be at most 120 characters");
    await expectCode(
      owner.caller.kpi.create({ ...ws, name: "Bad", direction: "SIDEWAYS" as "HIGHER_IS_BETTER" }),
      "BAD_REQUEST",
    );
    await expectCode(
      owner.caller.kpi.create({ ...ws, name: "Bad", targetValue: Number.POSITIVE_INFINITY }),
      "BAD_REQUEST",
    );
  });

  test("update changes only what is given", async () => {
    const kpi = await owner.caller.kpi.create({
      ...ws,
      name: "Churn",
      unit: "%",
      category: "Retention",
      direction: "LOWER_IS_BETTER",
      targetValue: 2,
    });
    const updated = await member.caller.kpi.update({
      ...ws,
      kpiId: kpi.id,
      targetValue: 3,
      description: "Monthly churn",
    });
    expect(updated).toMatchObject({
      name: "Churn",
      unit: "%",
      category: "Retention",
      direction: "LOWER_IS_BETTER",
      targetValue: 3,
      description: "Monthly churn",
    });
    await expectCode(member.caller.kpi.update({ ...ws, kpiId: kpi.id, name: "" }), "BAD_REQUEST");
  });

  test("archive and restore; an archived KPI frees its name", async () => {
    const kpi = await owner.caller.kpi.create({ ...ws, name: "Legacy" });
    const archived = await member.caller.kpi.archive({ ...ws, kpiId: kpi.id });
    expect(archived).toMatchObject({ isActive: false });
    expect(archived.archivedAt).toBeInstanceOf(Date);
    const replacement = await owner.caller.kpi.create({ ...ws, name: "legacy" });
    const clash = await expectCode(member.caller.kpi.restore({ ...ws, kpiId: kpi.id }), "CONFLICT");
    expect(clash.message).toContain("already has this name");
    await owner.caller.kpi.archive({ ...ws, kpiId: replacement.id });
    expect(await member.caller.kpi.restore({ ...ws, kpiId: kpi.id })).toMatchObject({
      isActive: true,
      archivedAt: null,
    });
  });

  test("list: filters by category, status and name; pages by cursor", async () => {
    const listed = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const ref = { workspaceId: listed.id };
    for (const [name, category] of [
      ["Alpha revenue", "Sales"],
      ["Beta revenue", "Sales"],
      ["Gamma costs", "Finance"],
      ["Delta leads", "Sales"],
      ["Epsilon NPS", "Product"],
    ] as const) {
      await owner.caller.kpi.create({ ...ref, name, category });
    }
    const epsilon = (await owner.caller.kpi.list({ ...ref, search: "epsilon" })).items[0];
    await owner.caller.kpi.archive({ ...ref, kpiId: epsilon?.id ?? "" });

    const sales = await owner.caller.kpi.list({ ...ref, category: "Sales" });
    expect(sales.items.map((k) => k.name)).toEqual(["Alpha revenue", "Beta revenue", "Delta leads"]);
    expect((await owner.caller.kpi.list({ ...ref, search: "REVENUE" })).items).toHaveLength(2);
    // LIKE's wildcards in a search are plain characters.
    expect((await owner.caller.kpi.list({ ...ref, search: "a%e" })).items).toEqual([]);
    expect((await owner.caller.kpi.list({ ...ref, search: "_" })).items).toEqual([]);
    expect((await owner.caller.kpi.list({ ...ref, status: "archived" })).items.map((k) => k.name)).toEqual([
      "Epsilon NPS",
    ]);
    expect((await owner.caller.kpi.list({ ...ref, status: "all" })).items).toHaveLength(5);

    const names: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const result = await viewer.caller.kpi
        .list({ workspaceId: listed.id, limit: 2, ...(cursor ? { cursor } : {}) })
        .catch(() => null);
      // The viewer is not in this workspace: NOT_FOUND, so page as the owner.
      expect(result).toBeNull();
      const ownPage = await owner.caller.kpi.list({ ...ref, limit: 2, ...(cursor ? { cursor } : {}) });
      names.push(...ownPage.items.map((k) => k.name));
      if (!ownPage.nextCursor) break;
      cursor = ownPage.nextCursor;
    }
    expect(names).toEqual(["Alpha revenue", "Beta revenue", "Delta leads", "Gamma costs"]);
    await expectCode(owner.caller.kpi.list({ ...ref, limit: 101 }), "BAD_REQUEST");

    expect(await owner.caller.kpi.categories(ref)).toEqual([
      { category: "Finance", kpis: 1 },
      { category: "Sales", kpis: 3 },
    ]);
  });

  test("FREE: at most 10 active KPIs per workspace", async () => {
    const freeOwner = await signedInUser(ctx(), "FreeOwner");
    const free = await createWorkspace(ctx().admin, [[freeOwner.id, "OWNER"]]);
    const ref = { workspaceId: free.id };
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await freeOwner.caller.kpi.create({ ...ref, name: `KPI ${i}` })).id);
    const error = await expectCode(freeOwner.caller.kpi.create({ ...ref, name: "Eleventh" }), "PRECONDITION_FAILED");
    expect(error.message).toBe("The FREE plan allows 10 active KPIs per workspace; upgrade the plan to add more.");
    await freeOwner.caller.kpi.archive({ ...ref, kpiId: ids[0] ?? "" });
    const eleventh = await freeOwner.caller.kpi.create({ ...ref, name: "Eleventh" });
    await expectCode(freeOwner.caller.kpi.restore({ ...ref, kpiId: ids[0] ?? "" }), "PRECONDITION_FAILED");
    expect(await freeOwner.caller.subscription.workspace(ref)).toMatchObject({
      plan: "FREE",
      limits: { kpis: 10, historyDays: 90 },
      usage: { activeKpis: 10, integrations: 0 },
    });
    expect(eleventh.isActive).toBe(true);
  });
});

describe("data points", () => {
  test("record, read back as current value, delete", async () => {
    const kpi = await owner.caller.kpi.create({ ...ws, name: "Orders", targetValue: 100 });
    const older = await member.caller.kpi.recordPoint({ ...ws, kpiId: kpi.id, value: 20, timestamp: daysAgo(2) });
    const newer = await member.caller.kpi.recordPoint({ ...ws, kpiId: kpi.id, value: 40, timestamp: daysAgo(1) });
    expect(newer).toMatchObject({ kpiId: kpi.id, value: 40, source: "MANUAL" });
    expect(await viewer.caller.kpi.get({ ...ws, kpiId: kpi.id })).toMatchObject({ currentValue: 40, progressPct: 40 });
    const duplicate = await expectCode(
      member.caller.kpi.recordPoint({ ...ws, kpiId: kpi.id, value: 1, timestamp: newer.timestamp }),
      "CONFLICT",
    );
    expect(duplicate.message).toContain("already has a value at that time");
    await expectCode(
      viewer.caller.kpi.recordPoint({ ...ws, kpiId: kpi.id, value: 1, timestamp: new Date() }),
      "FORBIDDEN",
    );
    await expectCode(
      member.caller.kpi.recordPoint({ ...ws, kpiId: kpi.id, value: Number.NaN, timestamp: new Date() }),
      "BAD_REQUEST",
    );
    expect((await viewer.caller.kpi.points({ ...ws, kpiId: kpi.id })).items.map((p) => p.value)).toEqual([40, 20]);

    await expectCode(viewer.caller.kpi.deletePoint({ ...ws, pointId: newer.id }), "FORBIDDEN");
    expect(await member.caller.kpi.deletePoint({ ...ws, pointId: newer.id })).toEqual({ deleted: true });
    await expectCode(member.caller.kpi.deletePoint({ ...ws, pointId: newer.id }), "NOT_FOUND");
    expect(await owner.caller.kpi.get({ ...ws, kpiId: kpi.id })).toMatchObject({ currentValue: 20 });
    expect(older.id).toBeTruthy();
  });

  test("FREE shows 90 days: older points are kept, and the answers say how many are hidden", async () => {
    const freeOwner = await signedInUser(ctx(), "FreeHistory");
    const free = await createWorkspace(ctx().admin, [[freeOwner.id, "OWNER"]]);
    const kpi = await freeOwner.caller.kpi.create({ workspaceId: free.id, name: "Old" });
    const ref = { workspaceId: free.id, kpiId: kpi.id };
    await freeOwner.caller.kpi.recordPoint({ ...ref, value: 1, timestamp: daysAgo(91) });
    await freeOwner.caller.kpi.recordPoint({ ...ref, value: 2, timestamp: daysAgo(1) });
    const listed = await freeOwner.caller.kpi.points(ref);
    expect(listed.items.map((point) => point.value)).toEqual([2]);
    expect(listed.hidden).toMatchObject({ points: 1 });
    const series = await freeOwner.caller.kpi.series({ ...ref, from: daysAgo(120), to: new Date(), buckets: 4 });
    expect(series.columns.count.reduce((sum, count) => sum + count, 0)).toBe(1);
    expect(series.hidden).toMatchObject({ points: 1 });
    // The PRO owner's workspace shows longer.
    const proKpi = await owner.caller.kpi.create({ ...ws, name: "Long history" });
    await owner.caller.kpi.recordPoint({ ...ws, kpiId: proKpi.id, value: 1, timestamp: daysAgo(200) });
    expect((await owner.caller.kpi.points({ ...ws, kpiId: proKpi.id })).hidden).toBeNull();
  });

  test("import CSV: all or nothing, with line numbers", async () => {
    const kpi = await owner.caller.kpi.create({ ...ws, name: "Imported" });
    // One instant for both lines that must clash (two daysAgo(3) calls can differ by a millisecond).
    const clashing = daysAgo(3).toISOString();
    const bad = [
      "timestamp,value",
      `${clashing},10`,
      "yesterday-ish,11",
      `${daysAgo(2).toISOString()},abc`,
      `${clashing},12`,
      "only-one-column",
    ].join("\n");
    const error = await expectCode(member.caller.kpi.importPoints({ ...ws, kpiId: kpi.id, data: bad }), "BAD_REQUEST");
    expect(error.message).toMatch(
      new RegExp(
        /^Nothing was imported: 4 line\(s\) need fixing /.source +
          /\(Line 3, column "timestamp": .*; Line 4, column "value": .*; Line 5: same timestamp as line 2 for "Imported"; …\)\.$/
            .source,
      ),
    );
    expect(error.cause).toBeInstanceOf(ImportLinesError);
    expect((error.cause as ImportLinesError).lines.map((line) => line.line)).toEqual([3, 4, 5, 6]);
    expect(await pointCount(kpi.id)).toBe(0);

    const threeDaysAgo = daysAgo(3);
    const good = [
      "timestamp,value",
      `${threeDaysAgo.toISOString()},10`,
      `"${daysAgo(2).toISOString()}", 11.5`,
      "",
      `${daysAgo(1).toISOString()},-2`,
    ].join("\r\n");
    expect(await member.caller.kpi.importPoints({ ...ws, kpiId: kpi.id, data: good })).toEqual({
      imported: 3,
      inserted: 3,
      updated: 0,
    });
    expect(await pointCount(kpi.id)).toBe(3);
    const points = await owner.caller.kpi.points({ ...ws, kpiId: kpi.id });
    expect(points.items.map((p) => [p.value, p.source])).toEqual([
      [-2, "IMPORT"],
      [11.5, "IMPORT"],
      [10, "IMPORT"],
    ]);
    // A page at a time, newest first.
    const first = await owner.caller.kpi.points({ ...ws, kpiId: kpi.id, limit: 2 });
    expect(first.items.map((p) => p.value)).toEqual([-2, 11.5]);
    const second = await owner.caller.kpi.points({
      ...ws,
      kpiId: kpi.id,
      limit: 2,
      cursor: first.nextCursor ?? undefined,
    });
    expect(second).toEqual({ items: [expect.objectContaining({ value: 10 })], nextCursor: null, hidden: null });
    // Imports are idempotent: a point already stored takes the imported value.
    expect(
      await member.caller.kpi.importPoints({
        ...ws,
        kpiId: kpi.id,
        data: `${daysAgo(5).toISOString()},1\n${threeDaysAgo.toISOString()},2`,
      }),
    ).toEqual({ imported: 2, inserted: 1, updated: 1 });
    expect(await pointCount(kpi.id)).toBe(4);
  });

  test("import a JSON array, points of any age", async () => {
    const kpi = await owner.caller.kpi.create({ ...ws, name: "Imported JSON" });
    const error = await expectCode(
      member.caller.kpi.importPoints({
        ...ws,
        kpiId: kpi.id,
        data: [{ timestamp: daysAgo(1).toISOString(), value: 1 }, { timestamp: "soon", value: 2 }, "nope"],
      }),
      "BAD_REQUEST",
    );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error.cause as ImportLinesError).lines).toEqual([
      { line: 2, message: "Line 2: Timestamp must be a date" },
      { line: 3, message: "Line 3: Expected an object with timestamp and value" },
    ]);
    expect(
      await member.caller.kpi.importPoints({
        ...ws,
        kpiId: kpi.id,
        data: [
          { timestamp: daysAgo(1), value: 1 },
          { timestamp: daysAgo(2).getTime(), value: "2" },
        ],
      }),
    ).toEqual({ imported: 2, inserted: 2, updated: 0 });
    await expectCode(member.caller.kpi.importPoints({ ...ws, kpiId: kpi.id, data: [] }), "BAD_REQUEST");

    const freeOwner = await signedInUser(ctx(), "FreeImport");
    const free = await createWorkspace(ctx().admin, [[freeOwner.id, "OWNER"]]);
    const freeKpi = await freeOwner.caller.kpi.create({ workspaceId: free.id, name: "Old import" });
    // Imports keep every point whatever its age; the FREE plan only shows the last 90 days.
    expect(
      await freeOwner.caller.kpi.importPoints({
        workspaceId: free.id,
        kpiId: freeKpi.id,
        data: [{ timestamp: daysAgo(100), value: 1 }],
      }),
    ).toEqual({ imported: 1, inserted: 1, updated: 0 });
  });

  test("series: buckets from the database and the previous period for comparison", async () => {
    const kpi = await owner.caller.kpi.create({ ...ws, name: "Series", targetValue: 10 });
    const to = new Date(Date.UTC(2026, 10, 20));
    const from = new Date(to.getTime() - 4 * day);
    const points = [
      { timestamp: new Date(from.getTime() - 3 * day), value: 2 },
      { timestamp: new Date(from.getTime() - 1 * day + 3_600_000), value: 4 },
      { timestamp: new Date(from.getTime() + 3_600_000), value: 5 },
      { timestamp: new Date(from.getTime() + 7_200_000), value: 7 },
      { timestamp: new Date(from.getTime() + 2 * day), value: 8 },
    ];
    await owner.caller.kpi.importPoints({ ...ws, kpiId: kpi.id, data: points });
    const series = await viewer.caller.kpi.series({ ...ws, kpiId: kpi.id, from, to, buckets: 4 });
    expect(series.kpi.aggregation).toBe("AVERAGE");
    // A width of exactly a day: the workspace's (UTC) calendar days.
    expect(series).toMatchObject({ bucketWidthMs: day, calendar: "day", timeZone: "UTC" });
    expect(series.columns).toEqual({
      start: [0, 1, 2, 3].map((k) => from.getTime() + k * day),
      end: [1, 2, 3, 4].map((k) => from.getTime() + k * day),
      count: [2, 0, 1, 0],
      // AVERAGE (the default): each bucket's value is its mean.
      value: [6, null, 8, null],
      sum: [12, null, 8, null],
      avg: [6, null, 8, null],
      min: [5, null, 8, null],
      max: [7, null, 8, null],
      last: [7, null, 8, null],
    });
    expect(series.previous?.columns.count).toEqual([0, 1, 0, 1]);
    // The periods compared as the aggregation adds them up: the mean of all points of each.
    expect(series.comparison).toEqual({
      current: 20 / 3,
      previous: 3,
      change: 20 / 3 - 3,
      changePct: (100 * (20 / 3 - 3)) / 3,
      trend: "better",
    });
    // As a SUM KPI: each bucket's value is its total, and so is each period's.
    await owner.caller.kpi.update({ ...ws, kpiId: kpi.id, aggregation: "SUM" });
    const summed = await viewer.caller.kpi.series({ ...ws, kpiId: kpi.id, from, to, buckets: 4 });
    expect(summed.kpi.aggregation).toBe("SUM");
    expect(summed.columns.value).toEqual([12, null, 8, null]);
    expect(summed.comparison).toMatchObject({ current: 20, previous: 6, change: 14 });
    // Calendar buckets on request: weeks start on Monday (2026-11-16), the first one whole.
    const weekly = await viewer.caller.kpi.series({ ...ws, kpiId: kpi.id, from, to, buckets: 4, calendar: "week" });
    expect(weekly.calendar).toBe("week");
    expect(weekly.columns.start).toEqual([Date.UTC(2026, 10, 16)]);
    expect(weekly.columns.value).toEqual([20]);
    // Every calendar unit of the chart is accepted (the rollups bucket them all), quarters too.
    const quarterly = await viewer.caller.kpi.series({ ...ws, kpiId: kpi.id, from, to, calendar: "quarter" });
    expect(quarterly.calendar).toBe("quarter");
    expect(quarterly.columns.start).toEqual([Date.UTC(2026, 9, 1)]);
    // Whole, like the first week: the two points before `from` count too (20 + 2 + 4).
    expect(quarterly.columns.value).toEqual([26]);
    await expectCode(
      viewer.caller.kpi.series({ ...ws, kpiId: kpi.id, from, to, calendar: "fortnight" as "week" }),
      "BAD_REQUEST",
    );
    await expectCode(viewer.caller.kpi.series({ ...ws, kpiId: kpi.id, from: to, to: from }), "BAD_REQUEST");
    await expectCode(viewer.caller.kpi.series({ ...ws, kpiId: kpi.id, from, to, buckets: 5000 }), "BAD_REQUEST");
    const plain = await viewer.caller.kpi.series({ ...ws, kpiId: kpi.id, from, to, buckets: 2, compare: false });
    expect(plain.previous).toBeNull();
  });

  test("recordPoint reads a timestamp without an offset in the workspace's time zone", async () => {
    const berlinOwner = await signedInUser(ctx(), "BerlinOwner");
    const berlin = await createWorkspace(ctx().admin, [[berlinOwner.id, "OWNER"]]);
    const ref = { workspaceId: berlin.id };
    await berlinOwner.caller.workspace.update({ ...ref, timeZone: "Europe/Berlin" });
    const kpi = await berlinOwner.caller.kpi.create({ ...ref, name: "Local times" });
    const record = async (timestamp: string | Date | number) =>
      (await berlinOwner.caller.kpi.recordPoint({ ...ref, kpiId: kpi.id, value: 1, timestamp })).timestamp;
    // Summer time (CEST, +02:00) from 2026-03-29 03:00; a date alone is local midnight (CET, +01:00).
    expect(await record("2026-03-29T10:00")).toEqual(new Date("2026-03-29T08:00:00Z"));
    expect(await record("2026-03-28")).toEqual(new Date("2026-03-27T23:00:00Z"));
    // An offset or an instant says which instant it is.
    expect(await record("2026-03-29T10:00:00Z")).toEqual(new Date("2026-03-29T10:00:00Z"));
    expect(await record("2026-03-29T10:00:00+05:30")).toEqual(new Date("2026-03-29T04:30:00Z"));
    expect(await record(new Date("2026-03-30T10:00:00Z"))).toEqual(new Date("2026-03-30T10:00:00Z"));
    expect(await record(Date.UTC(2026, 2, 31, 10))).toEqual(new Date("2026-03-31T10:00:00Z"));
    const bad = await expectCode(record("03/29/2026"), "BAD_REQUEST");
    expect(bad.message).toContain("is not an ISO 8601 date");
    await expectCode(record("10000-01-01"), "BAD_REQUEST");
  });

  test("summary: each KPI's value for the period as it adds up, target, progress and change", async () => {
    const summaryWs = await createWorkspace(ctx().admin, [
      [owner.id, "OWNER"],
      [viewer.id, "VIEWER"],
    ]);
    const ref = { workspaceId: summaryWs.id };
    // The API's clock at the next Wednesday 12:00 UTC: this week began on Monday, and the week
    // before is compared up to its Wednesday noon.
    const today = new Date();
    const wednesday = new Date(
      Date.UTC(
        today.getUTCFullYear(),
        today.getUTCMonth(),
        today.getUTCDate() + ((3 - today.getUTCDay() + 7) % 7 || 7),
        12,
      ),
    );
    const at = (daysFromWednesday: number, hours = 0) =>
      new Date(wednesday.getTime() + daysFromWednesday * day + hours * 3_600_000);
    const clockedViewer = callerFor(ctx().db, viewer.token, { clock: () => wednesday });
    const up = await owner.caller.kpi.create({
      ...ref,
      name: "Up",
      targetValue: 100,
      category: "A",
      aggregation: "LAST",
    });
    const down = await owner.caller.kpi.create({
      ...ref,
      name: "Down",
      targetValue: 10,
      direction: "LOWER_IS_BETTER",
      aggregation: "SUM",
      category: "B",
    });
    expect(down.aggregation).toBe("SUM");
    await owner.caller.kpi.importPoints({
      ...ref,
      kpiId: up.id,
      data: [
        { timestamp: at(-10), value: 40 },
        { timestamp: at(-1), value: 50 },
      ],
    });
    await owner.caller.kpi.importPoints({
      ...ref,
      kpiId: down.id,
      data: [
        { timestamp: at(-2, -2), value: 20 }, // Monday 10:00
        { timestamp: at(-1), value: 5 },
        { timestamp: at(0, 1), value: 1000 }, // after now
        { timestamp: at(-8), value: 40 }, // last Tuesday
        { timestamp: at(-6), value: 1000 }, // last Thursday: later into last week than now is into this one
      ],
    });
    const summary = await clockedViewer.kpi.summary({ ...ref, period: "week" });
    // LAST: the newest value (50) against the newest a week earlier (40). SUM, lower is better:
    // this week's total so far (25) against last week's up to Wednesday noon (40); 10 / 25 = 40%.
    expect(summary.map((s) => [s.name, s.currentValue, s.previousValue, s.progressPct, s.change, s.trend])).toEqual([
      ["Up", 50, 40, 50, 10, "better"],
      ["Down", 25, 40, 40, -15, "better"],
    ]);
    expect(summary[1]?.periodStart).toEqual(at(-2, -12));
    expect(await viewer.caller.kpi.summary({ ...ref, category: "B" })).toHaveLength(1);
    // One KPI's figures, as its page shows them: the same as its card, also once archived.
    await owner.caller.kpi.archive({ ...ref, kpiId: down.id });
    const page = await clockedViewer.kpi.summary({ ...ref, period: "week", kpiId: down.id });
    expect(page.map((s) => [s.name, s.currentValue, s.progressPct])).toEqual([["Down", 25, 40]]);
    expect(await clockedViewer.kpi.summary({ ...ref, period: "week" })).toHaveLength(1);
    await expectCode(viewer.caller.kpi.summary({ ...ref, kpiId: "not-a-uuid" }), "BAD_REQUEST");
    await expectCode(viewer.caller.kpi.summary({ ...ref, kpiId: randomUUID() }), "NOT_FOUND");
    await expectCode(viewer.caller.kpi.summary({ ...ref, period: "decade" as "day" }), "BAD_REQUEST");
  });
});
