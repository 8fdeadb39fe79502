import { canAssignRole, can as roleCan, type Permission, workspaceRoles } from "@northstar/core/permissions";

// The permission map the API enforces (@northstar/core, plain data), so the client hides exactly
// what a role may not do. The server checks again on every call.

export type Role = (typeof workspaceRoles)[number];

export function can(role: Role | null | undefined, permission: Permission): boolean {
  return role ? roleCan(role, permission) : false;
}

export { canAssignRole };

export const roleLabels: Record<Role, string> = { OWNER: "Owner", ADMIN: "Admin", MEMBER: "Member", VIEWER: "Viewer" };
export const roles: readonly Role[] = workspaceRoles;
