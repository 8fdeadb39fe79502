import { beforeAll, describe, expect, test } from "vitest";
import { createWorkspace, expectCode, signedInUser, useApiDatabase } from "./support.ts";

// A member of workspace A names things of workspace B: every procedure answers NOT_FOUND (never
// FORBIDDEN, which would reveal that they exist) and nothing in B changes.

const ctx = useApiDatabase();
type User = Awaited<ReturnType<typeof signedInUser>>;
let alice: User, carol: User, bob: User;
let a: { workspaceId: string }, b: { workspaceId: string; slug: string };
const ids = {
  kpiA: "",
  kpiB: "",
  goalA: "",
  goalB: "",
  pointB: "",
  invitationB: "",
  integrationA: "",
  integrationB: "",
};
const github = {
  provider: "github",
  name: "Repo",
  credentials: { token: "ghp_crosstenant1234" },
  config: { owner: "o", repo: "r" },
} as const;

beforeAll(async () => {
  [alice, carol, bob] = (await Promise.all(["Alice", "Carol", "Bob"].map((name) => signedInUser(ctx(), name)))) as [
    User,
    User,
    User,
  ];
  const workspaceA = await createWorkspace(ctx().admin, [[alice.id, "OWNER"]]);
  const workspaceB = await createWorkspace(ctx().admin, [
    [carol.id, "OWNER"],
    [bob.id, "MEMBER"],
  ]);
  a = { workspaceId: workspaceA.id };
  b = { workspaceId: workspaceB.id, slug: workspaceB.slug };
  ids.kpiA = (await alice.caller.kpi.create({ ...a, name: "A's KPI", targetValue: 10 })).id;
  ids.goalA = (await alice.caller.goal.create({ ...a, title: "A's goal" })).id;
  ids.kpiB = (await carol.caller.kpi.create({ ...b, name: "B's KPI", targetValue: 10 })).id;
  ids.pointB = (
    await carol.caller.kpi.recordPoint({ ...b, kpiId: ids.kpiB, value: 5, timestamp: new Date(Date.now() - 60_000) })
  ).id;
  ids.goalB = (await carol.caller.goal.create({ ...b, title: "B's goal", kpis: [{ kpiId: ids.kpiB }] })).id;
  ids.invitationB = (await carol.caller.workspace.members.invite({ ...b, email: "someone@example.com" })).id;
  ids.integrationB = (await carol.caller.integration.connect({ ...b, ...github })).id;
  ids.integrationA = (await alice.caller.integration.connect({ ...a, ...github })).id;
  await carol.caller.integration.mapMetric({
    ...b,
    integrationId: ids.integrationB,
    metricKey: "stars",
    kpiId: ids.kpiB,
  });
});

/** Everything of workspace B, as the operator sees it. */
async function snapshotB(): Promise<unknown> {
  const tables = [
    "workspaces",
    "workspace_users",
    "kpis",
    "kpi_data_points",
    "goals",
    "goal_kpis",
    "invitations",
    "integrations",
    "integration_metrics",
    "sync_runs",
  ];
  const snapshot: Record<string, unknown[]> = {};
  for (const table of tables) {
    const column = table === "workspaces" ? "id" : "workspace_id";
    const rows = await ctx().admin.query(`SELECT * FROM ${table} WHERE ${column} = $1 ORDER BY 1, 2`, [b.workspaceId]);
    snapshot[table] = rows.rows;
  }
  return snapshot;
}

describe("a member of A passing ids of B, inside A", () => {
  test("every id-taking procedure answers NOT_FOUND and B is unchanged", async () => {
    const before = await snapshotB();
    const now = new Date();
    const calls: [string, () => Promise<unknown>][] = [
      ["kpi.get", () => alice.caller.kpi.get({ ...a, kpiId: ids.kpiB })],
      ["kpi.update", () => alice.caller.kpi.update({ ...a, kpiId: ids.kpiB, name: "Hijacked" })],
      ["kpi.archive", () => alice.caller.kpi.archive({ ...a, kpiId: ids.kpiB })],
      ["kpi.restore", () => alice.caller.kpi.restore({ ...a, kpiId: ids.kpiB })],
      ["kpi.recordPoint", () => alice.caller.kpi.recordPoint({ ...a, kpiId: ids.kpiB, value: 1, timestamp: now })],
      [
        "kpi.importPoints",
        () => alice.caller.kpi.importPoints({ ...a, kpiId: ids.kpiB, data: [{ timestamp: now, value: 1 }] }),
      ],
      ["kpi.points", () => alice.caller.kpi.points({ ...a, kpiId: ids.kpiB })],
      [
        "kpi.series",
        () => alice.caller.kpi.series({ ...a, kpiId: ids.kpiB, from: new Date(now.getTime() - 86_400_000), to: now }),
      ],
      ["kpi.deletePoint", () => alice.caller.kpi.deletePoint({ ...a, pointId: ids.pointB })],
      ["goal.get", () => alice.caller.goal.get({ ...a, goalId: ids.goalB })],
      ["goal.update", () => alice.caller.goal.update({ ...a, goalId: ids.goalB, title: "Hijacked" })],
      ["goal.archive", () => alice.caller.goal.archive({ ...a, goalId: ids.goalB })],
      ["goal.delete", () => alice.caller.goal.delete({ ...a, goalId: ids.goalB })],
      [
        "goal.create with B's KPI",
        () => alice.caller.goal.create({ ...a, title: "Smuggler", kpis: [{ kpiId: ids.kpiB }] }),
      ],
      [
        "goal.linkKpi B's KPI to A's goal",
        () => alice.caller.goal.linkKpi({ ...a, goalId: ids.goalA, kpiId: ids.kpiB }),
      ],
      [
        "goal.linkKpi A's KPI to B's goal",
        () => alice.caller.goal.linkKpi({ ...a, goalId: ids.goalB, kpiId: ids.kpiA }),
      ],
      ["goal.unlinkKpi", () => alice.caller.goal.unlinkKpi({ ...a, goalId: ids.goalB, kpiId: ids.kpiB })],
      ["members.changeRole", () => alice.caller.workspace.members.changeRole({ ...a, userId: bob.id, role: "VIEWER" })],
      ["members.remove", () => alice.caller.workspace.members.remove({ ...a, userId: carol.id })],
      [
        "members.cancelInvitation",
        () => alice.caller.workspace.members.cancelInvitation({ ...a, invitationId: ids.invitationB }),
      ],
      // An invitation's id is no capability: only the user whose email it names answers it.
      ["me.acceptInvitation", () => alice.caller.me.acceptInvitation({ invitationId: ids.invitationB })],
      ["me.declineInvitation", () => alice.caller.me.declineInvitation({ invitationId: ids.invitationB })],
      ["integration.get", () => alice.caller.integration.get({ ...a, integrationId: ids.integrationB })],
      [
        "integration.update",
        () =>
          alice.caller.integration.update({
            ...a,
            integrationId: ids.integrationB,
            name: "Hijacked",
            credentials: { token: "ghp_hijacked0000" },
          }),
      ],
      ["integration.disable", () => alice.caller.integration.disable({ ...a, integrationId: ids.integrationB })],
      ["integration.enable", () => alice.caller.integration.enable({ ...a, integrationId: ids.integrationB })],
      ["integration.syncNow", () => alice.caller.integration.syncNow({ ...a, integrationId: ids.integrationB })],
      ["integration.runs", () => alice.caller.integration.runs({ ...a, integrationId: ids.integrationB })],
      ["integration.metrics", () => alice.caller.integration.metrics({ ...a, integrationId: ids.integrationB })],
      [
        "integration.mapMetric",
        () =>
          alice.caller.integration.mapMetric({
            ...a,
            integrationId: ids.integrationB,
            metricKey: "stars",
            kpiId: ids.kpiA,
          }),
      ],
      [
        "integration.mapMetric (B's KPI)",
        () =>
          alice.caller.integration.mapMetric({
            ...a,
            integrationId: ids.integrationA,
            metricKey: "stars",
            kpiId: ids.kpiB,
          }),
      ],
      [
        "integration.unmapMetric",
        () => alice.caller.integration.unmapMetric({ ...a, integrationId: ids.integrationB, metricKey: "stars" }),
      ],
    ];
    for (const [name, call] of calls) {
      const error = await expectCode(call(), "NOT_FOUND").catch((failure: unknown) => {
        throw new Error(`${name}: ${String(failure)}`);
      });
      expect(error.message, name).not.toMatch(/workspace B|permission|role/i);
    }
    expect(await snapshotB()).toEqual(before);
    // And A got nothing of B's either.
    expect((await alice.caller.goal.get({ ...a, goalId: ids.goalA })).kpiLinks).toEqual([]);
  });
});

describe("a non-member naming workspace B itself", () => {
  test("every workspace procedure answers NOT_FOUND, by id or slug, and B is unchanged", async () => {
    const before = await snapshotB();
    const now = new Date();
    for (const ref of [{ workspaceId: b.workspaceId }, { workspaceSlug: b.slug }]) {
      const calls: [string, () => Promise<unknown>][] = [
        ["workspace.get", () => alice.caller.workspace.get(ref)],
        ["workspace.rename", () => alice.caller.workspace.rename({ ...ref, name: "Hijacked" })],
        ["workspace.delete", () => alice.caller.workspace.delete({ ...ref, confirmSlug: b.slug })],
        ["members.list", () => alice.caller.workspace.members.list(ref)],
        ["members.invitations", () => alice.caller.workspace.members.invitations(ref)],
        ["members.invite", () => alice.caller.workspace.members.invite({ ...ref, email: "spy@example.com" })],
        [
          "members.changeRole",
          () => alice.caller.workspace.members.changeRole({ ...ref, userId: bob.id, role: "VIEWER" }),
        ],
        ["members.remove", () => alice.caller.workspace.members.remove({ ...ref, userId: bob.id })],
        ["members.leave", () => alice.caller.workspace.members.leave(ref)],
        ["kpi.list", () => alice.caller.kpi.list(ref)],
        ["kpi.get", () => alice.caller.kpi.get({ ...ref, kpiId: ids.kpiB })],
        ["kpi.create", () => alice.caller.kpi.create({ ...ref, name: "Smuggled" })],
        ["kpi.categories", () => alice.caller.kpi.categories(ref)],
        ["kpi.recordPoint", () => alice.caller.kpi.recordPoint({ ...ref, kpiId: ids.kpiB, value: 1, timestamp: now })],
        ["kpi.deletePoint", () => alice.caller.kpi.deletePoint({ ...ref, pointId: ids.pointB })],
        ["kpi.summary", () => alice.caller.kpi.summary(ref)],
        ["goal.list", () => alice.caller.goal.list(ref)],
        ["goal.delete", () => alice.caller.goal.delete({ ...ref, goalId: ids.goalB })],
        ["subscription.workspace", () => alice.caller.subscription.workspace(ref)],
        ["integration.providers", () => alice.caller.integration.providers(ref)],
        ["integration.list", () => alice.caller.integration.list(ref)],
        ["integration.get", () => alice.caller.integration.get({ ...ref, integrationId: ids.integrationB })],
        ["integration.connect", () => alice.caller.integration.connect({ ...ref, ...github })],
        ["integration.syncNow", () => alice.caller.integration.syncNow({ ...ref, integrationId: ids.integrationB })],
        ["integration.runs", () => alice.caller.integration.runs({ ...ref, integrationId: ids.integrationB })],
        ["integration.metrics", () => alice.caller.integration.metrics({ ...ref, integrationId: ids.integrationB })],
        [
          "integration.mapMetric",
          () =>
            alice.caller.integration.mapMetric({
              ...ref,
              integrationId: ids.integrationB,
              metricKey: "stars",
              kpiId: ids.kpiB,
            }),
        ],
        [
          "integration.unmapMetric",
          () => alice.caller.integration.unmapMetric({ ...ref, integrationId: ids.integrationB, metricKey: "stars" }),
        ],
      ];
      for (const [name, call] of calls) {
        const error = await expectCode(call(), "NOT_FOUND").catch((failure: unknown) => {
          throw new Error(`${name}: ${String(failure)}`);
        });
        expect(error.message, name).toBe("Workspace not found.");
      }
    }
    expect(await snapshotB()).toEqual(before);
  });
});
