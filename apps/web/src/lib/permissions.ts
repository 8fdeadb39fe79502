import type { Permission } from "@northstar/api";

// The API's permission map, mirrored so the client can hide what a role may not do. The server
// checks again on every call; e2e and test/permissions.test.ts keep the two maps equal.

export type Role = "OWNER" | "ADMIN" | "MEMBER" | "VIEWER";

const everyone = ["OWNER", "ADMIN", "MEMBER", "VIEWER"] as const;
const editors = ["OWNER", "ADMIN", "MEMBER"] as const;
const managers = ["OWNER", "ADMIN"] as const;
const owners = ["OWNER"] as const;

export const clientPermissions = {
  "workspace.read": everyone,
  "workspace.update": managers,
  "workspace.delete": owners,
  "members.read": everyone,
  "members.manage": managers,
  "members.leave": everyone,
  "kpi.read": everyone,
  "kpi.write": editors,
  "goal.read": everyone,
  "goal.write": editors,
  "integration.read": everyone,
  "integration.manage": managers,
  "plan.read": everyone,
} as const satisfies Record<Permission, readonly Role[]>;

export function can(role: Role | null | undefined, permission: Permission): boolean {
  if (!role) return false;
  const allowed: readonly Role[] = clientPermissions[permission];
  return allowed.includes(role);
}

/** Mirrors the API's canAssignRole: only an OWNER touches the OWNER role. */
export function canAssignRole(actor: Role, from: Role | null, to: Role | null): boolean {
  if (!can(actor, "members.manage")) return false;
  if (actor === "OWNER") return true;
  return from !== "OWNER" && to !== "OWNER";
}

export const roleLabels: Record<Role, string> = { OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member", VIEWER: "Viewer" };
export const roles: readonly Role[] = ["OWNER", "ADMIN", "MEMBER", "VIEWER"];
