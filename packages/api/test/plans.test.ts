import { describe, expect, test } from "vitest";
import { historyStart } from "@northstar/core/plans";
import type { Billing } from "../src/billing/config.ts";
import { assertIntegrationCapacity, assertMemberCapacity, planLimits, workspacePlan } from "../src/plans.ts";
import { billedUser, billingCaller } from "./billing-support.ts";
import {
  type AdminPool,
  callerFor,
  createUser,
  createWorkspace,
  expectCode,
  giveSubscription,
  signedInUser,
  signIn,
  trpcError,
  useApiDatabase,
} from "./support.ts";

// Plan limits: FREE is 1 workspace, 10 KPIs, 1 integration, 90 days of history shown; the
// workspace's plan is its owners' best current plan. A downgrade keeps every row (read-only over
// the limit); billing off puts everyone on the configured plan.

const ctx = useApiDatabase();
const day = 86_400_000;

/** `count` active KPIs in the workspace, by the operator, created one millisecond apart in order. */
async function addKpis(admin: AdminPool, workspaceId: string, count: number): Promise<void> {
  await admin.query(
    `INSERT INTO kpis (workspace_id, name, created_at)
     SELECT $1, 'Bulk ' || i, now() - interval '1 day' + i * interval '1 millisecond' FROM generate_series(1, $2) AS i`,
    [workspaceId, count],
  );
}

async function addIntegrations(admin: AdminPool, workspaceId: string, count: number): Promise<void> {
  await admin.query(
    "INSERT INTO integrations (workspace_id, provider, name) SELECT $1, 'csv', 'Sheet ' || i FROM generate_series(1, $2) AS i",
    [workspaceId, count],
  );
}

describe("plans", () => {
  test("the FREE limits are the issue's", () => {
    expect(planLimits.FREE).toMatchObject({ workspaces: 1, kpis: 10, integrations: 1, historyDays: 90 });
    expect(historyStart("FREE", new Date("2026-04-01T00:00:00Z"))?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    // Whole UTC days: the window moves at midnight, not with every request.
    expect(historyStart("FREE", new Date("2026-04-01T23:59:59.999Z"))?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    expect(historyStart("UNLIMITED", new Date())).toBeNull();
  });

  test("a workspace takes its owners' best plan; members' plans do not count", async () => {
    const owner = await signedInUser(ctx(), "PlanOwner");
    const member = await signedInUser(ctx(), "PlanMember");
    const workspace = await createWorkspace(ctx().admin, [
      [owner.id, "OWNER"],
      [member.id, "MEMBER"],
    ]);
    const planOf = () =>
      ctx().db.withContext({ userId: member.id, workspaceId: workspace.id }, (db) => workspacePlan(db, null));
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
    await ctx().db.withContext(scoped, (db) => assertIntegrationCapacity(db, workspace.id, null));
    await addIntegrations(ctx().admin, workspace.id, 1);
    const error = await trpcError(
      ctx().db.withContext(scoped, (db) => assertIntegrationCapacity(db, workspace.id, null)),
    );
    expect(error.code).toBe("PRECONDITION_FAILED");
    expect(error.message).toBe("The FREE plan allows 1 integration per workspace; upgrade the plan to add more.");
  });

  test.each(["FREE", "PRO", "BUSINESS"] as const)(
    "%s: KPIs, integrations, members and owned workspaces stop exactly at the limit",
    async (plan) => {
      const owner = await signedInUser(ctx(), `Boundary${plan}`);
      if (plan !== "FREE") await giveSubscription(ctx().admin, owner.id, plan);
      const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
      const ref = { workspaceId: workspace.id };
      const limits = planLimits[plan];

      await addKpis(ctx().admin, workspace.id, limits.kpis - 1);
      await owner.caller.kpi.create({ ...ref, name: "The last one allowed" });
      const kpiError = await expectCode(
        owner.caller.kpi.create({ ...ref, name: "One too many" }),
        "PRECONDITION_FAILED",
      );
      expect(kpiError.message).toBe(
        `The ${plan} plan allows ${limits.kpis} active KPIs per workspace; upgrade the plan to add more.`,
      );

      const scoped = { userId: owner.id, workspaceId: workspace.id };
      await addIntegrations(ctx().admin, workspace.id, limits.integrations - 1);
      await ctx().db.withContext(scoped, (db) => assertIntegrationCapacity(db, workspace.id, null));
      await addIntegrations(ctx().admin, workspace.id, 1);
      const integrationError = await trpcError(
        ctx().db.withContext(scoped, (db) => assertIntegrationCapacity(db, workspace.id, null)),
      );
      expect(integrationError.message).toContain(`allows ${limits.integrations} integration`);

      // One member (the owner) so far.
      await ctx().db.withContext(scoped, (db) => assertMemberCapacity(db, workspace.id, limits.members - 1, null));
      const memberError = await trpcError(
        ctx().db.withContext(scoped, (db) => assertMemberCapacity(db, workspace.id, limits.members, null)),
      );
      expect(memberError.message).toContain(`allows ${limits.members} members per workspace`);

      // Owned workspaces: one owned so far; the rest of the allowance, then one more is refused.
      for (let i = 1; i < limits.workspaces; i++) await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
      const workspaceError = await expectCode(
        owner.caller.workspace.create({ name: "Over", slug: `over-${owner.id.slice(0, 8)}` }),
        "PRECONDITION_FAILED",
      );
      expect(workspaceError.message).toContain(`allows ${limits.workspaces} owned workspace`);
    },
  );

  test("over the limit, an integration is read-only and a read-only KPI's points cannot be deleted", async () => {
    const owner = await signedInUser(ctx(), "OverLimit");
    const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const ref = { workspaceId: workspace.id };
    // FREE allows one integration and ten active KPIs; these came before a downgrade.
    await addIntegrations(ctx().admin, workspace.id, 2);
    await addKpis(ctx().admin, workspace.id, 11);
    const integrations = await ctx().admin.query<{ id: string }>(
      "SELECT id FROM integrations WHERE workspace_id = $1 ORDER BY created_at, id",
      [workspace.id],
    );
    const [older, newer] = integrations.rows.map((row) => row.id);
    if (!older || !newer) throw new Error("expected two integrations");
    await owner.caller.integration.update({ ...ref, integrationId: older, name: "Still writable" });
    const refused = await expectCode(
      owner.caller.integration.update({ ...ref, integrationId: newer, name: "Renamed" }),
      "PRECONDITION_FAILED",
    );
    expect(refused.message).toBe(
      "This integration is read-only: the FREE plan allows 1 integration per workspace and it is beyond them. Upgrade the plan to edit it.",
    );
    await expectCode(owner.caller.integration.syncNow({ ...ref, integrationId: newer }), "PRECONDITION_FAILED");

    const kpis = await ctx().admin.query<{ id: string }>(
      "SELECT id FROM kpis WHERE workspace_id = $1 ORDER BY created_at, id",
      [workspace.id],
    );
    const eleventh = kpis.rows[10]?.id;
    if (!eleventh) throw new Error("expected eleven KPIs");
    const point = await ctx().admin.query<{ id: string }>(
      "INSERT INTO kpi_data_points (workspace_id, kpi_id, timestamp, value) VALUES ($1, $2, now(), 1) RETURNING id",
      [workspace.id, eleventh],
    );
    const pointId = point.rows[0]?.id ?? "";
    await expectCode(owner.caller.kpi.deletePoint({ ...ref, pointId }), "PRECONDITION_FAILED");
    expect((await ctx().admin.query("SELECT 1 FROM kpi_data_points WHERE id = $1", [pointId])).rowCount).toBe(1);
  });

  test("a lapse keeps every row: KPIs over the limit turn read-only, a re-subscribe makes them writable again", async () => {
    const owner = await signedInUser(ctx(), "Lapser");
    await ctx().admin.query(
      `INSERT INTO subscriptions (user_id, plan, current_period_start, current_period_end, external_subscription_id)
       VALUES ($1, 'PRO', now() - interval '1 day', now() + interval '30 days', 'sub_lapse_1')`,
      [owner.id],
    );
    const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const ref = { workspaceId: workspace.id };
    await addKpis(ctx().admin, workspace.id, 12);
    const { items } = await owner.caller.kpi.list({ ...ref, limit: 100 });
    const byAge = await ctx().admin.query<{ id: string }>(
      "SELECT id FROM kpis WHERE workspace_id = $1 ORDER BY created_at, id",
      [workspace.id],
    );
    const [first, , , , , , , , , tenth, eleventh] = byAge.rows.map((row) => row.id);
    if (!first || !tenth || !eleventh) throw new Error("expected twelve KPIs");
    await owner.caller.kpi.recordPoint({
      ...ref,
      kpiId: eleventh,
      value: 5,
      timestamp: new Date(Date.now() - 200 * day),
    });

    // The subscription lapses: FREE again.
    await ctx().admin.query(
      "UPDATE subscriptions SET status = 'CANCELED' WHERE external_subscription_id = 'sub_lapse_1'",
    );
    expect((await owner.caller.subscription.workspace(ref)).overLimit).toEqual({
      kpis: 2,
      integrations: 0,
      members: 0,
    });
    const readOnly = await expectCode(
      owner.caller.kpi.update({ ...ref, kpiId: eleventh, name: "Renamed" }),
      "PRECONDITION_FAILED",
    );
    expect(readOnly.message).toContain("allows 10 active KPIs per workspace");
    await expectCode(
      owner.caller.kpi.recordPoint({ ...ref, kpiId: eleventh, value: 6, timestamp: new Date() }),
      "PRECONDITION_FAILED",
    );
    await owner.caller.kpi.update({ ...ref, kpiId: tenth, name: "Still writable" });
    await expectCode(owner.caller.kpi.create({ ...ref, name: "New" }), "PRECONDITION_FAILED");
    // Nothing was deleted; old points are hidden, not gone.
    expect((await owner.caller.kpi.list({ ...ref, limit: 100 })).items).toHaveLength(items.length);
    expect((await owner.caller.kpi.points({ ...ref, kpiId: eleventh })).hidden).toMatchObject({ points: 1 });

    // Archiving one makes room for the next by age.
    await owner.caller.kpi.archive({ ...ref, kpiId: first });
    await owner.caller.kpi.update({ ...ref, kpiId: eleventh, name: "Writable again" });

    // Re-subscribing (a new subscription) brings everything back.
    await ctx().admin.query(
      `INSERT INTO subscriptions (user_id, plan, current_period_start, current_period_end, external_subscription_id)
       VALUES ($1, 'PRO', now() - interval '1 minute', now() + interval '30 days', 'sub_lapse_2')`,
      [owner.id],
    );
    await owner.caller.kpi.restore({ ...ref, kpiId: first });
    for (const id of byAge.rows.map((row) => row.id))
      await owner.caller.kpi.update({ ...ref, kpiId: id, description: "ok" });
    const rows = await ctx().admin.query<{ kpis: number; points: number }>(
      `SELECT (SELECT count(*)::int FROM kpis WHERE workspace_id = $1) AS kpis,
              (SELECT count(*)::int FROM kpi_data_points WHERE workspace_id = $1) AS points`,
      [workspace.id],
    );
    expect(rows.rows[0]).toEqual({ kpis: 12, points: 1 });
    expect((await owner.caller.kpi.points({ ...ref, kpiId: eleventh })).hidden).toBeNull();
  });

  test("billing off: every workspace is on the configured plan, by default without limits", async () => {
    const unlimited: Billing = { mode: "self-hosted", plan: "UNLIMITED" };
    const owner = await billedUser(ctx(), "SelfHosted", unlimited);
    const ref = { workspaceId: (await createWorkspace(ctx().admin, [[owner.id, "OWNER"]])).id };
    await addKpis(ctx().admin, ref.workspaceId, planLimits.BUSINESS.kpis);
    const kpi = await owner.caller.kpi.create({ ...ref, name: "Beyond any paid plan" });
    await addIntegrations(ctx().admin, ref.workspaceId, 3);
    await ctx().db.withContext({ userId: owner.id, workspaceId: ref.workspaceId }, (db) =>
      assertIntegrationCapacity(db, ref.workspaceId, unlimited),
    );
    await owner.caller.kpi.recordPoint({
      ...ref,
      kpiId: kpi.id,
      value: 1,
      timestamp: new Date("2000-01-03T00:00:00Z"),
    });
    const points = await owner.caller.kpi.points({ ...ref, kpiId: kpi.id });
    expect(points.items).toHaveLength(1);
    expect(points.hidden).toBeNull();
    for (let i = 0; i < 3; i++)
      await owner.caller.workspace.create({ name: `Mine ${i}`, slug: `mine-${i}-${owner.id.slice(0, 8)}` });
    expect(await owner.caller.subscription.mine()).toMatchObject({ plan: "UNLIMITED", billing: "off" });
    expect(await owner.caller.subscription.workspace(ref)).toMatchObject({
      plan: "UNLIMITED",
      billing: "off",
      overLimit: { kpis: 0, integrations: 0, members: 0 },
    });

    // NORTHSTAR_PLAN=FREE: the FREE limits, whatever the subscriptions say.
    await giveSubscription(ctx().admin, owner.id, "BUSINESS");
    const asFree = billingCaller(ctx().db, owner.token, { mode: "self-hosted", plan: "FREE" });
    await expectCode(asFree.kpi.create({ ...ref, name: "Refused" }), "PRECONDITION_FAILED");
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
