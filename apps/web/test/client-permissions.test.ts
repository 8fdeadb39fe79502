import { permissions, workspaceRoles } from "@northstar/api";
import { expect, test } from "vitest";
import { can, canAssignRole, clientPermissions, roles } from "../src/lib/permissions.ts";

// The client hides controls from its own copy of the API's permission map (it may not bundle
// server code); the two must say the same, or the UI shows buttons the API refuses.

test("the client's permission map is the API's", () => {
  expect(clientPermissions).toEqual(permissions);
  expect([...roles]).toEqual([...workspaceRoles]);
});

test("only an owner may give or take the owner role", () => {
  expect(canAssignRole("OWNER", "MEMBER", "OWNER")).toBe(true);
  expect(canAssignRole("ADMIN", "MEMBER", "OWNER")).toBe(false);
  expect(canAssignRole("ADMIN", "OWNER", "ADMIN")).toBe(false);
  expect(canAssignRole("ADMIN", "VIEWER", "MEMBER")).toBe(true);
  expect(canAssignRole("MEMBER", "VIEWER", "MEMBER")).toBe(false);
  expect(can("VIEWER", "kpi.write")).toBe(false);
  expect(can(null, "kpi.read")).toBe(false);
});
