// Roles as data: what each workspace role may do. The API checks it on every call, the web client
// hides what a role may not do, and the database's row-level security policies say the same.

export const workspaceRoles = ["OWNER", "ADMIN", "MEMBER", "VIEWER"] as const;
export type WorkspaceRole = (typeof workspaceRoles)[number];

const everyone = ["OWNER", "ADMIN", "MEMBER", "VIEWER"] as const;
const editors = ["OWNER", "ADMIN", "MEMBER"] as const;
const managers = ["OWNER", "ADMIN"] as const;
const owners = ["OWNER"] as const;

export const permissions = {
  "workspace.read": everyone,
  "workspace.update": managers,
  "workspace.delete": owners,
  // Everything the workspace holds, in one download: its owners' data to take with them.
  "workspace.export": owners,
  "member.read": everyone,
  "member.manage": managers,
  "member.leave": everyone,
  "kpi.read": everyone,
  "kpi.write": editors,
  "goal.read": everyone,
  "goal.write": editors,
  "integration.read": everyone,
  "integration.manage": managers,
  "plan.read": everyone,
  // Keys for the public REST API act in the whole workspace: only those who manage it make them.
  "apiKey.manage": managers,
} as const satisfies Record<string, readonly WorkspaceRole[]>;

export type Permission = keyof typeof permissions;

export function can(role: WorkspaceRole, permission: Permission): boolean {
  const allowed: readonly WorkspaceRole[] = permissions[permission];
  return allowed.includes(role);
}

/**
 * Whether `actor` may give, change or take away a membership whose role is `from` (null for a new
 * one) to `to` (null for removal): only an OWNER touches the OWNER role; ADMINs manage the rest.
 */
export function canAssignRole(actor: WorkspaceRole, from: WorkspaceRole | null, to: WorkspaceRole | null): boolean {
  if (!can(actor, "member.manage")) return false;
  if (actor === "OWNER") return true;
  return from !== "OWNER" && to !== "OWNER";
}
