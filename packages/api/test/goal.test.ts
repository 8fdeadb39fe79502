import { beforeAll, describe, expect, test } from "vitest";
import { callerFor, expectCode, ownerMemberViewer, type SignedInUser, useApiDatabase } from "./support.ts";

const ctx = useApiDatabase();
let owner: SignedInUser, member: SignedInUser, viewer: SignedInUser;
let ws: { workspaceId: string };
let revenue: string, churn: string;

beforeAll(async () => {
  ({ owner, member, viewer, ws } = await ownerMemberViewer(ctx()));
  // Levels (LAST): their progress is their newest value's, whichever month it is.
  revenue = (await owner.caller.kpi.create({ ...ws, name: "Revenue", targetValue: 1000, aggregation: "LAST" })).id;
  churn = (
    await owner.caller.kpi.create({
      ...ws,
      name: "Churn",
      targetValue: 2,
      direction: "LOWER_IS_BETTER",
      aggregation: "LAST",
    })
  ).id;
  await owner.caller.kpi.recordPoint({
    ...ws,
    kpiId: revenue,
    value: 500,
    timestamp: new Date(Date.now() - 3_600_000),
  });
  await owner.caller.kpi.recordPoint({ ...ws, kpiId: churn, value: 4, timestamp: new Date(Date.now() - 3_600_000) });
});

describe("goals", () => {
  test("create with linked KPIs; progress is the weighted, direction-aware average", async () => {
    const goal = await member.caller.goal.create({
      ...ws,
      title: "Grow sustainably",
      targetDate: new Date(Date.now() + 30 * 86_400_000),
      kpis: [
        { kpiId: revenue, weight: 3 },
        { kpiId: churn, weight: 1, criterion: "STAY_BELOW" },
      ],
    });
    expect(goal.kpiLinks.map((link) => [link.kpi.name, link.weight, link.criterion, link.progressPct])).toEqual([
      ["Churn", 1, "STAY_BELOW", 50],
      ["Revenue", 3, "REACH_TARGET", 50],
    ]);
    expect(goal.progressPct).toBe(50);
    // Just created, 30 days to go: half-way there is well ahead of pace.
    expect(goal.pace?.suggestion).toBe("ON_TRACK");
    expect(goal.status).toBe("NOT_STARTED");
    expect(await viewer.caller.goal.get({ ...ws, goalId: goal.id })).toMatchObject({ id: goal.id, progressPct: 50 });
  });

  test("a SUM KPI counts this month's total so far toward its target; LAST its newest value", async () => {
    // The API's clock on 2026-03-11 12:00 UTC (the workspace is in UTC): this month is March.
    const clock = () => new Date("2026-03-11T12:00:00Z");
    const clocked = callerFor(ctx().db, member.token, { clock });
    const deploys = await owner.caller.kpi.create({ ...ws, name: "Deploys", targetValue: 100, aggregation: "SUM" });
    const mrr = await owner.caller.kpi.create({ ...ws, name: "MRR", targetValue: 1000, aggregation: "LAST" });
    const points: [string, string, number][] = [
      [deploys.id, "2026-02-27T10:00:00Z", 500], // last month
      [deploys.id, "2026-03-02T10:00:00Z", 30],
      [deploys.id, "2026-03-10T10:00:00Z", 20],
      [deploys.id, "2026-03-20T10:00:00Z", 1000], // after now
      [mrr.id, "2026-01-15T10:00:00Z", 800],
      [mrr.id, "2026-03-12T10:00:00Z", 5000], // after now
    ];
    for (const [kpiId, timestamp, value] of points)
      await owner.caller.kpi.recordPoint({ ...ws, kpiId, value, timestamp: new Date(timestamp) });
    const goal = await clocked.goal.create({
      ...ws,
      title: "Ship and earn",
      kpis: [{ kpiId: deploys.id }, { kpiId: mrr.id }],
    });
    expect(
      goal.kpiLinks.map((link) => [link.kpi.name, link.kpi.aggregation, link.kpi.currentValue, link.progressPct]),
    ).toEqual([
      ["Deploys", "SUM", 50, 50],
      ["MRR", "LAST", 800, 80],
    ]);
    expect(goal.progressPct).toBe(65);
    const listed = (await callerFor(ctx().db, viewer.token, { clock }).goal.list(ws)).find((g) => g.id === goal.id);
    expect(listed?.progressPct).toBe(65);
    // In April, March's deploys no longer count: nothing shipped yet this month is 0 toward the goal.
    const april = callerFor(ctx().db, viewer.token, { clock: () => new Date("2026-04-01T00:30:00Z") });
    const inApril = await april.goal.get({ ...ws, goalId: goal.id });
    expect(inApril.kpiLinks.map((link) => link.kpi.currentValue)).toEqual([null, 5000]);
    expect(inApril.progressPct).toBe(50);
  });

  test("viewers read but do not write; validation names the rule", async () => {
    await expectCode(viewer.caller.goal.create({ ...ws, title: "Viewer's" }), "FORBIDDEN");
    const error = await expectCode(member.caller.goal.create({ ...ws, title: "" }), "BAD_REQUEST");
    expect(error.message).toContain("Goal title must not be empty");
    const weight = await expectCode(
      member.caller.goal.create({ ...ws, title: "Heavy", kpis: [{ kpiId: revenue, weight: 0 }] }),
      "BAD_REQUEST",
    );
    expect(weight.message).toContain("Weight must be greater than 0");
    await expectCode(
      member.caller.goal.create({ ...ws, title: "Ghost", kpis: [{ kpiId: crypto.randomUUID() }] }),
      "NOT_FOUND",
    );
  });

  test("link, relink with a new weight, unlink", async () => {
    const goal = await member.caller.goal.create({ ...ws, title: "Linking" });
    expect(goal.progressPct).toBeNull();
    const linked = await member.caller.goal.linkKpi({ ...ws, goalId: goal.id, kpiId: revenue, weight: 2 });
    expect(linked.kpiLinks).toHaveLength(1);
    const relinked = await member.caller.goal.linkKpi({
      ...ws,
      goalId: goal.id,
      kpiId: revenue,
      weight: 5,
      criterion: "STAY_ABOVE",
    });
    expect(relinked.kpiLinks.map((link) => [link.weight, link.criterion])).toEqual([[5, "STAY_ABOVE"]]);
    await expectCode(viewer.caller.goal.linkKpi({ ...ws, goalId: goal.id, kpiId: churn }), "FORBIDDEN");
    const unlinked = await member.caller.goal.unlinkKpi({ ...ws, goalId: goal.id, kpiId: revenue });
    expect(unlinked.kpiLinks).toEqual([]);
    await expectCode(member.caller.goal.unlinkKpi({ ...ws, goalId: goal.id, kpiId: revenue }), "NOT_FOUND");
  });

  test("update, archive, list by status, delete", async () => {
    const goal = await member.caller.goal.create({ ...ws, title: "Lifecycle" });
    const updated = await member.caller.goal.update({
      ...ws,
      goalId: goal.id,
      status: "AT_RISK",
      description: "Needs care",
      targetDate: null,
    });
    expect(updated).toMatchObject({
      title: "Lifecycle",
      status: "AT_RISK",
      description: "Needs care",
      targetDate: null,
    });
    expect((await viewer.caller.goal.list({ ...ws, status: ["AT_RISK"] })).map((g) => g.title)).toEqual(["Lifecycle"]);
    await member.caller.goal.archive({ ...ws, goalId: goal.id });
    expect((await viewer.caller.goal.list(ws)).map((g) => g.title)).not.toContain("Lifecycle");
    expect((await viewer.caller.goal.list({ ...ws, includeArchived: true })).map((g) => g.title)).toContain(
      "Lifecycle",
    );
    expect((await viewer.caller.goal.list({ ...ws, status: ["ARCHIVED"] })).map((g) => g.title)).toEqual(["Lifecycle"]);
    await expectCode(viewer.caller.goal.delete({ ...ws, goalId: goal.id }), "FORBIDDEN");
    expect(await member.caller.goal.delete({ ...ws, goalId: goal.id })).toEqual({ deleted: true });
    await expectCode(member.caller.goal.get({ ...ws, goalId: goal.id }), "NOT_FOUND");
    await expectCode(member.caller.goal.update({ ...ws, goalId: goal.id, title: "Gone" }), "NOT_FOUND");
  });
});
