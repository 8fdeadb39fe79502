import { beforeAll, describe, expect, test } from "vitest";
import { expectCode, ownerMemberViewer, type SignedInUser, useApiDatabase } from "./support.ts";

const ctx = useApiDatabase();
let owner: SignedInUser, member: SignedInUser, viewer: SignedInUser;
let ws: { workspaceId: string };
let revenue: string, churn: string;

beforeAll(async () => {
  ({ owner, member, viewer, ws } = await ownerMemberViewer(ctx()));
  revenue = (await owner.caller.kpi.create({ ...ws, name: "Revenue", targetValue: 1000 })).id;
  churn = (await owner.caller.kpi.create({ ...ws, name: "Churn", targetValue: 2, direction: "LOWER_IS_BETTER" })).id;
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
