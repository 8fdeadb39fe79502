import { can, type Permission, permissions } from "@northstar/core/permissions";
import type { WorkspaceRole } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { beforeAll, describe, expect, test } from "vitest";
import { appRouter } from "../src/root.ts";
import { type Caller, createWorkspace, signedInUser, useApiDatabase } from "./support.ts";

// Every workspace procedure, called by each role: refused with FORBIDDEN exactly when the
// permission map says so (other outcomes, success or a domain error, mean the role got through).
// The table must name every procedure of the router, so a new one cannot be left out unnoticed.

const ctx = useApiDatabase();
const roles: WorkspaceRole[] = ["OWNER", "ADMIN", "MEMBER", "VIEWER"];
const callers = new Map<WorkspaceRole, Caller>();
const userIds = new Map<WorkspaceRole, string>();
let ref: { workspaceId: string };
let kpiId = "";
let goalId = "";
let integrationId = "";

beforeAll(async () => {
  for (const role of roles) {
    const user = await signedInUser(ctx(), role.toLowerCase());
    callers.set(role, user.caller);
    userIds.set(role, user.id);
  }
  const workspace = await createWorkspace(
    ctx().admin,
    roles.map((role) => [userIds.get(role) ?? "", role]),
  );
  ref = { workspaceId: workspace.id };
  const owner = callers.get("OWNER");
  if (!owner) throw new Error("no owner");
  kpiId = (await owner.kpi.create({ ...ref, name: "Permission KPI", targetValue: 1 })).id;
  goalId = (await owner.goal.create({ ...ref, title: "Permission goal" })).id;
  integrationId = (await owner.integration.connect({ ...ref, ...githubIntegration })).id;
});

const githubIntegration = {
  provider: "github",
  name: "Permission integration",
  credentials: { token: "ghp_permission1234" },
  config: { owner: "o", repo: "r" },
} as const;
const now = new Date();

/** Leaving takes the caller out of the workspace: the operator puts them back with their role. */
async function leaveAndRejoin(caller: Caller): Promise<unknown> {
  const left = await caller.workspace.members.leave(ref);
  const { id } = await caller.me.get();
  const role = roles.find((candidate) => userIds.get(candidate) === id);
  await ctx().admin.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, $3)", [
    ref.workspaceId,
    id,
    role,
  ]);
  return left;
}

/** The procedures that need no workspace role: signed in is enough. */
const signedInOnly = [
  "me.get",
  "me.workspaces",
  "me.invitations",
  "me.acceptInvitation",
  "me.declineInvitation",
  "me.signOut",
  "workspace.suggestSlug",
  "workspace.slugAvailable",
  "workspace.create",
  "subscription.mine",
  "subscription.checkout",
  "subscription.portal",
];

const procedures: [string, Permission, (caller: Caller) => Promise<unknown>][] = [
  ["workspace.get", "workspace.read", (c) => c.workspace.get(ref)],
  ["workspace.rename", "workspace.update", (c) => c.workspace.rename({ ...ref, name: "Renamed" })],
  ["workspace.update", "workspace.update", (c) => c.workspace.update({ ...ref, timeZone: "UTC" })],
  ["workspace.delete", "workspace.delete", (c) => c.workspace.delete({ ...ref, confirmSlug: "wrong-slug" })],
  ["workspace.members.list", "member.read", (c) => c.workspace.members.list(ref)],
  ["workspace.members.invitations", "member.read", (c) => c.workspace.members.invitations(ref)],
  [
    "workspace.members.invite",
    "member.manage",
    (c) => c.workspace.members.invite({ ...ref, email: `x-${Math.random()}@example.com`.replace("0.", "") }),
  ],
  [
    "workspace.members.cancelInvitation",
    "member.manage",
    (c) => c.workspace.members.cancelInvitation({ ...ref, invitationId: crypto.randomUUID() }),
  ],
  [
    "workspace.members.changeRole",
    "member.manage",
    (c) => c.workspace.members.changeRole({ ...ref, userId: crypto.randomUUID(), role: "VIEWER" }),
  ],
  [
    "workspace.members.remove",
    "member.manage",
    (c) => c.workspace.members.remove({ ...ref, userId: crypto.randomUUID() }),
  ],
  ["workspace.members.leave", "member.leave", leaveAndRejoin],
  ["kpi.list", "kpi.read", (c) => c.kpi.list(ref)],
  ["kpi.get", "kpi.read", (c) => c.kpi.get({ ...ref, kpiId })],
  ["kpi.categories", "kpi.read", (c) => c.kpi.categories(ref)],
  ["kpi.points", "kpi.read", (c) => c.kpi.points({ ...ref, kpiId })],
  [
    "kpi.series",
    "kpi.read",
    (c) => c.kpi.series({ ...ref, kpiId, from: new Date(now.getTime() - 86_400_000), to: now }),
  ],
  ["kpi.summary", "kpi.read", (c) => c.kpi.summary(ref)],
  ["kpi.create", "kpi.write", (c) => c.kpi.create({ ...ref, name: `KPI ${Math.random()}` })],
  ["kpi.update", "kpi.write", (c) => c.kpi.update({ ...ref, kpiId, description: "changed" })],
  ["kpi.archive", "kpi.write", (c) => c.kpi.archive({ ...ref, kpiId: crypto.randomUUID() })],
  ["kpi.restore", "kpi.write", (c) => c.kpi.restore({ ...ref, kpiId })],
  [
    "kpi.recordPoint",
    "kpi.write",
    (c) =>
      c.kpi.recordPoint({
        ...ref,
        kpiId,
        value: 1,
        timestamp: new Date(now.getTime() - Math.floor(Math.random() * 1e9)),
      }),
  ],
  ["kpi.importPoints", "kpi.write", (c) => c.kpi.importPoints({ ...ref, kpiId, data: "not,a,csv" })],
  ["import.preview", "kpi.write", (c) => c.import.preview({ ...ref, text: "t,v\n2026-01-01,1" })],
  [
    "import.csv",
    "kpi.write",
    (c) =>
      c.import.csv({
        ...ref,
        text: "t,v\n2026-01-01,1",
        mapping: { timestampColumn: "t", columns: [{ column: "v", target: { kpiId } }] },
      }),
  ],
  ["kpi.deletePoint", "kpi.write", (c) => c.kpi.deletePoint({ ...ref, pointId: crypto.randomUUID() })],
  ["goal.list", "goal.read", (c) => c.goal.list(ref)],
  ["goal.get", "goal.read", (c) => c.goal.get({ ...ref, goalId })],
  ["goal.create", "goal.write", (c) => c.goal.create({ ...ref, title: "Another goal" })],
  ["goal.update", "goal.write", (c) => c.goal.update({ ...ref, goalId, description: "changed" })],
  ["goal.archive", "goal.write", (c) => c.goal.archive({ ...ref, goalId: crypto.randomUUID() })],
  ["goal.delete", "goal.write", (c) => c.goal.delete({ ...ref, goalId: crypto.randomUUID() })],
  ["goal.linkKpi", "goal.write", (c) => c.goal.linkKpi({ ...ref, goalId, kpiId })],
  ["goal.unlinkKpi", "goal.write", (c) => c.goal.unlinkKpi({ ...ref, goalId, kpiId: crypto.randomUUID() })],
  ["integration.providers", "integration.read", (c) => c.integration.providers(ref)],
  ["integration.list", "integration.read", (c) => c.integration.list(ref)],
  ["integration.get", "integration.read", (c) => c.integration.get({ ...ref, integrationId })],
  ["integration.runs", "integration.read", (c) => c.integration.runs({ ...ref, integrationId })],
  ["integration.metrics", "integration.read", (c) => c.integration.metrics({ ...ref, integrationId })],
  // The FREE plan's one integration is taken: allowed roles get PRECONDITION_FAILED.
  ["integration.connect", "integration.manage", (c) => c.integration.connect({ ...ref, ...githubIntegration })],
  [
    "integration.update",
    "integration.manage",
    (c) => c.integration.update({ ...ref, integrationId, name: "Renamed integration" }),
  ],
  ["integration.syncNow", "integration.manage", (c) => c.integration.syncNow({ ...ref, integrationId })],
  ["integration.disable", "integration.manage", (c) => c.integration.disable({ ...ref, integrationId })],
  ["integration.enable", "integration.manage", (c) => c.integration.enable({ ...ref, integrationId })],
  [
    "integration.mapMetric",
    "integration.manage",
    (c) => c.integration.mapMetric({ ...ref, integrationId, metricKey: "stars", kpiId }),
  ],
  [
    "integration.unmapMetric",
    "integration.manage",
    (c) => c.integration.unmapMetric({ ...ref, integrationId, metricKey: "stars" }),
  ],
  ["subscription.workspace", "plan.read", (c) => c.subscription.workspace(ref)],
  ["apiKey.list", "apiKey.manage", (c) => c.apiKey.list(ref)],
  ["apiKey.create", "apiKey.manage", (c) => c.apiKey.create({ ...ref, name: "Script", scopes: ["read"] })],
  ["apiKey.revoke", "apiKey.manage", (c) => c.apiKey.revoke({ ...ref, keyId: crypto.randomUUID() })],
];

describe("the permission map", () => {
  test("the table names every procedure of the router", () => {
    // tRPC keeps each procedure under its full path ("workspace.members.list") in _def.procedures.
    const routerPaths = Object.keys(appRouter._def.procedures).sort();
    expect([...procedures.map(([name]) => name), ...signedInOnly].sort()).toEqual(routerPaths);
  });

  test("roles as data: owners can do everything, viewers only read", () => {
    for (const permission of Object.keys(permissions) as Permission[]) expect(can("OWNER", permission)).toBe(true);
    expect(Object.keys(permissions).filter((permission) => can("VIEWER", permission as Permission))).toEqual([
      "workspace.read",
      "member.read",
      "member.leave",
      "kpi.read",
      "goal.read",
      "integration.read",
      "plan.read",
    ]);
  });

  test.each(roles)("every procedure as %s: FORBIDDEN exactly where the map says", async (role) => {
    const caller = callers.get(role);
    if (!caller) throw new Error(`no ${role}`);
    for (const [name, permission, call] of procedures) {
      const error: unknown = await call(caller).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      const forbidden = error instanceof TRPCError && error.code === "FORBIDDEN";
      expect(forbidden, `${role} ${name}: ${String(error)}`).toBe(!can(role, permission));
    }
  });
});
