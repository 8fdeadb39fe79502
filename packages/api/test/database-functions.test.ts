import { DatabaseError, queryRows } from "@northstar/db";
import { describe, expect, test } from "vitest";
import { workspacePlanQuery } from "../src/plans.ts";
import { createUser, createWorkspace, useApiDatabase } from "./support.ts";

// The 20261125000400_auth migration's functions and table, checked at the database: definer
// functions owned by northstar_definer with an empty search_path, executable by northstar_app only;
// invitations under the same row-level rules as memberships.

const ctx = useApiDatabase();
const functions = [
  "app.session_for_token(bytea)",
  "app.sign_in_user(text, text, text, text, text)",
  "app.accept_invitations()",
  "app.workspace_slug_available(text)",
  "app.workspace_plan()",
];

async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DatabaseError);
  if (!(error instanceof DatabaseError)) throw new Error("expected a DatabaseError");
  return error;
}

describe("auth functions", () => {
  test.each(functions)(
    "%s: SECURITY DEFINER, owned by northstar_definer, search_path '', northstar_app only",
    async (signature) => {
      const rows = await ctx().admin.query<{
        definer: boolean;
        owner: string;
        config: string[] | null;
        app: boolean;
        worker: boolean;
        public: boolean;
      }>(
        `SELECT p.prosecdef AS definer, pg_get_userbyid(p.proowner) AS owner, p.proconfig AS config,
              has_function_privilege('northstar_app', p.oid, 'EXECUTE') AS app,
              has_function_privilege('northstar_worker', p.oid, 'EXECUTE') AS worker,
              EXISTS (SELECT FROM aclexplode(p.proacl) AS a WHERE a.grantee = 0) AS public
         FROM pg_proc AS p WHERE p.oid = $1::regprocedure`,
        [signature],
      );
      expect(rows.rows).toEqual([
        {
          definer: true,
          owner: "northstar_definer",
          config: ['search_path=""'],
          app: true,
          worker: false,
          public: false,
        },
      ]);
    },
  );

  test("accepting invitations skips expired ones and never demotes an existing member", async () => {
    const owner = await createUser(ctx().admin, "InviteOwner");
    const invitee = await createUser(ctx().admin, "Invitee");
    const fresh = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const stale = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const already = await createWorkspace(ctx().admin, [
      [owner.id, "OWNER"],
      [invitee.id, "ADMIN"],
    ]);
    await ctx().admin.query(
      `INSERT INTO invitations (workspace_id, email, role, expires_at, created_at) VALUES
         ($1, $4, 'MEMBER', now() + interval '1 day', now()),
         ($2, $4, 'MEMBER', now() - interval '1 day', now() - interval '2 days'),
         ($3, $4, 'VIEWER', now() + interval '1 day', now())`,
      [fresh.id, stale.id, already.id, invitee.email],
    );
    const joined = await ctx().db.withContext(
      { userId: invitee.id, workspaceId: null },
      (db) => db.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM app.accept_invitations() AS id`,
    );
    expect(joined).toEqual([{ id: fresh.id }]);
    const roles = await ctx().admin.query<{ workspace_id: string; role: string }>(
      "SELECT workspace_id, role FROM workspace_users WHERE user_id = $1",
      [invitee.id],
    );
    expect(new Map(roles.rows.map((row) => [row.workspace_id, row.role]))).toEqual(
      new Map([
        [fresh.id, "MEMBER"],
        [already.id, "ADMIN"],
      ]),
    );
    await failure(
      ctx().db.withContext({ userId: null, workspaceId: null }, (db) => db.$queryRaw`SELECT app.accept_invitations()`),
    );
  });

  test("invitations: admins cannot invite owners, members cannot invite, outsiders see none", async () => {
    const owner = await createUser(ctx().admin, "Owner");
    const admin = await createUser(ctx().admin, "Admin");
    const member = await createUser(ctx().admin, "Member");
    const outsider = await createUser(ctx().admin, "Outsider");
    const workspace = await createWorkspace(ctx().admin, [
      [owner.id, "OWNER"],
      [admin.id, "ADMIN"],
      [member.id, "MEMBER"],
    ]);
    const invite = (userId: string, role: "OWNER" | "MEMBER", email: string) =>
      ctx().db.withContext({ userId, workspaceId: workspace.id }, (db) =>
        db.invitation.create({
          data: { workspaceId: workspace.id, email, role, expiresAt: new Date(Date.now() + 86_400_000) },
          select: { id: true },
        }),
      );
    expect((await failure(invite(admin.id, "OWNER", "boss@example.com"))).kind).toBe("permission_denied");
    expect((await failure(invite(member.id, "MEMBER", "friend@example.com"))).kind).toBe("permission_denied");
    expect((await failure(invite(owner.id, "MEMBER", "Not-Lower@example.com"))).kind).toBe("check_violation");
    await invite(owner.id, "OWNER", "boss@example.com");
    await invite(admin.id, "MEMBER", "friend@example.com");
    const seen = (userId: string) =>
      ctx().db.withContext({ userId, workspaceId: workspace.id }, (db) => db.invitation.count());
    expect(await seen(member.id)).toBe(2);
    expect(await seen(outsider.id)).toBe(0);
    const withdrawn = await ctx().db.withContext({ userId: admin.id, workspaceId: workspace.id }, (db) =>
      db.invitation.deleteMany({}),
    );
    expect(withdrawn.count).toBe(1);
  });

  test("slug availability sees every workspace; the workspace plan answers members only", async () => {
    const owner = await createUser(ctx().admin, "SlugOwner");
    const outsider = await createUser(ctx().admin, "SlugOutsider");
    const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const available = await ctx().db.withContext(
      { userId: outsider.id, workspaceId: null },
      (db) => db.$queryRaw<{ free: boolean }[]>`SELECT app.workspace_slug_available(${workspace.slug}) AS free`,
    );
    expect(available).toEqual([{ free: false }]);
    const plan = await ctx().db.withContext({ userId: outsider.id, workspaceId: workspace.id }, (db) =>
      queryRows(db, workspacePlanQuery),
    );
    expect(plan).toEqual([{ plan: null }]);
  });
});
