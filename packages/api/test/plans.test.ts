import { describe, expect, test } from "vitest";
import { assertIntegrationCapacity, historyStart, planLimits, workspacePlan } from "../src/plans.ts";
import {
  callerFor,
  createUser,
  createWorkspace,
  giveSubscription,
  signedInUser,
  signIn,
  trpcError,
  useApiDatabase,
} from "./support.ts";

// Plan limits: FREE is 1 workspace, 10 KPIs, 1 integration, 90 days of history; the workspace's
// plan is its owners' best current plan.

const ctx = useApiDatabase();

describe("plans", () => {
  test("the FREE limits are the issue's", () => {
    expect(planLimits.FREE).toEqual({ workspaces: 1, kpis: 10, integrations: 1, historyDays: 90 });
    expect(historyStart("FREE", new Date("2026-04-01T00:00:00Z")).toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });

  test("a workspace takes its owners' best plan; members' plans do not count", async () => {
    const owner = await signedInUser(ctx(), "PlanOwner");
    const member = await signedInUser(ctx(), "PlanMember");
    const workspace = await createWorkspace(ctx().admin, [
      [owner.id, "OWNER"],
      [member.id, "MEMBER"],
    ]);
    const planOf = () => ctx().db.withContext({ userId: member.id, workspaceId: workspace.id }, workspacePlan);
    expect(await planOf()).toBe("FREE");
    await giveSubscription(ctx().admin, member.id, "BUSINESS");
    expect(await planOf()).toBe("FREE");
    await giveSubscription(ctx().admin, owner.id, "PRO");
    expect(await planOf()).toBe("PRO");
    expect(await member.caller.subscription.workspace({ workspaceId: workspace.id })).toMatchObject({
      plan: "PRO",
      limits: planLimits.PRO,
    });
  });

  test("inviting a paying customer as OWNER raises the plan only once they accept", async () => {
    const owner = await signedInUser(ctx(), "FreeOwner");
    const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const ref = { workspaceId: workspace.id };
    const customer = await createUser(ctx().admin, "PayingCustomer");
    await giveSubscription(ctx().admin, customer.id, "BUSINESS");
    const invitation = await owner.caller.workspace.members.invite({ ...ref, email: customer.email, role: "OWNER" });
    // The customer signs in (as they would anyway, for their own workspaces): nothing changes here.
    const customerCaller = callerFor(ctx().db, await signIn(ctx().db, customer.id));
    expect(await owner.caller.subscription.workspace(ref)).toMatchObject({ plan: "FREE" });
    expect((await owner.caller.workspace.get(ref)).plan).toBe("FREE");
    await customerCaller.me.acceptInvitation({ invitationId: invitation.id });
    expect(await owner.caller.subscription.workspace(ref)).toMatchObject({ plan: "BUSINESS" });
  });

  test("FREE: one integration per workspace", async () => {
    const owner = await signedInUser(ctx(), "IntegrationOwner");
    const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const scoped = { userId: owner.id, workspaceId: workspace.id };
    await ctx().db.withContext(scoped, (db) => assertIntegrationCapacity(db, workspace.id));
    await ctx().admin.query("INSERT INTO integrations (workspace_id, provider, name) VALUES ($1, 'csv', 'Sheet')", [
      workspace.id,
    ]);
    const error = await trpcError(ctx().db.withContext(scoped, (db) => assertIntegrationCapacity(db, workspace.id)));
    expect(error.code).toBe("PRECONDITION_FAILED");
    expect(error.message).toBe("The FREE plan allows 1 integration per workspace; upgrade the plan to add more.");
  });

  test("concurrent creates cannot overshoot a limit: each counts after the previous one commits", async () => {
    const owner = await signedInUser(ctx(), "RaceOwner");
    const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const ref = { workspaceId: workspace.id };
    for (let i = 0; i < planLimits.FREE.kpis - 2; i++) await owner.caller.kpi.create({ ...ref, name: `KPI ${i}` });
    // Two places left, eight racing for them.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => owner.caller.kpi.create({ ...ref, name: `Racer ${i}` })),
    );
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(2);
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") expect(outcome.reason).toMatchObject({ code: "PRECONDITION_FAILED" });
    }
    const { rows } = await ctx().admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM kpis WHERE workspace_id = $1 AND is_active",
      [workspace.id],
    );
    expect(rows[0]?.n).toBe(planLimits.FREE.kpis);

    // A user's owned workspaces, too (FREE: one).
    const founder = await signedInUser(ctx(), "RaceFounder");
    const created = await Promise.allSettled(
      Array.from({ length: 4 }, (_, i) =>
        founder.caller.workspace.create({ name: `Race ${i}`, slug: `race-${i}-${founder.id.slice(0, 8)}` }),
      ),
    );
    expect(created.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(1);
  });
});
