import { DatabaseError, queryRows, type ScopedDb, sql } from "@northstar/db";
import { describe, expect, test } from "vitest";
import { workspacePlanQuery } from "../src/plans.ts";
import { createUser, createWorkspace, useApiDatabase } from "./support.ts";

// The definer functions of the 20261125000400_auth and 20261130000100_invitation_consent
// migrations and the read policies' membership helper (20261201000200_context_read_once),
// checked at the database: owned by northstar_definer with an empty search_path, executable by
// northstar_app only; invitations under the same row-level rules as memberships,
// answered only by the user whose email they name.

const ctx = useApiDatabase();
const functions = [
  "app.session_for_token(bytea)",
  "app.sign_in_user(text, text, text, text, text)",
  "app.my_invitations()",
  "app.accept_invitation(uuid)",
  "app.decline_invitation(uuid)",
  "app.workspace_slug_available(text)",
  "app.workspace_plan()",
  "app.member_workspace_id()",
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

  test("an invitation is answered only by its invitee, once, before it expires; a member keeps their role", async () => {
    const owner = await createUser(ctx().admin, "InviteOwner");
    const invitee = await createUser(ctx().admin, "Invitee");
    const other = await createUser(ctx().admin, "Other");
    const fresh = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const stale = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const already = await createWorkspace(ctx().admin, [
      [owner.id, "OWNER"],
      [invitee.id, "ADMIN"],
    ]);
    const declined = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
    const invitations = await ctx().admin.query<{ id: string; workspace_id: string }>(
      `INSERT INTO invitations (workspace_id, email, role, invited_by_id, expires_at, created_at) VALUES
         ($1, $5, 'MEMBER', $6, now() + interval '1 day', now()),
         ($2, $5, 'MEMBER', $6, now() - interval '1 day', now() - interval '2 days'),
         ($3, $5, 'VIEWER', $6, now() + interval '1 day', now()),
         ($4, $5, 'OWNER', $6, now() + interval '1 day', now())
       RETURNING id, workspace_id`,
      [fresh.id, stale.id, already.id, declined.id, invitee.email, owner.id],
    );
    const idOf = (workspaceId: string) => invitations.rows.find((row) => row.workspace_id === workspaceId)?.id ?? "";
    const as = <T>(userId: string | null, work: (db: ScopedDb) => Promise<T>) =>
      ctx().db.withContext({ userId, workspaceId: null }, work);
    const accept = (userId: string | null, workspaceId: string) =>
      as(userId, (db) =>
        queryRows(db, sql<{ id: string | null }>`SELECT app.accept_invitation(${idOf(workspaceId)}::uuid)::text AS id`),
      );
    const decline = (userId: string, workspaceId: string) =>
      as(userId, (db) =>
        queryRows(db, sql<{ done: boolean }>`SELECT app.decline_invitation(${idOf(workspaceId)}::uuid) AS done`),
      );

    // Listed: the unexpired ones, with the workspace's name and the inviter's.
    const listed = await as(invitee.id, (db) =>
      queryRows(
        db,
        sql<{ workspace_id: string; workspace_name: string; invited_by_name: string }>`
          SELECT workspace_id::text, workspace_name, invited_by_name FROM app.my_invitations()`,
      ),
    );
    expect(listed.map((row) => row.workspace_id).sort()).toEqual([fresh.id, already.id, declined.id].sort());
    expect(listed[0]).toMatchObject({ invited_by_name: "InviteOwner" });
    expect(await as(other.id, (db) => queryRows(db, sql<{ n: number }>`SELECT * FROM app.my_invitations()`))).toEqual(
      [],
    );

    // Someone else cannot answer it, whoever they are.
    expect(await accept(other.id, fresh.id)).toEqual([{ id: null }]);
    expect(await decline(other.id, fresh.id)).toEqual([{ done: false }]);
    expect(await accept(owner.id, fresh.id)).toEqual([{ id: null }]);
    // The invitee: expired is gone, declined cannot then be accepted, a member keeps their role.
    expect(await accept(invitee.id, stale.id)).toEqual([{ id: null }]);
    expect(await decline(invitee.id, declined.id)).toEqual([{ done: true }]);
    expect(await accept(invitee.id, declined.id)).toEqual([{ id: null }]);
    expect(await decline(invitee.id, declined.id)).toEqual([{ done: false }]);
    expect(await accept(invitee.id, fresh.id)).toEqual([{ id: fresh.id }]);
    expect(await accept(invitee.id, fresh.id)).toEqual([{ id: null }]);
    expect(await accept(invitee.id, already.id)).toEqual([{ id: already.id }]);

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
    const left = await ctx().admin.query<{ workspace_id: string; status: string }>(
      "SELECT workspace_id, status FROM invitations WHERE email = $1 ORDER BY status",
      [invitee.email],
    );
    expect(new Map(left.rows.map((row) => [row.workspace_id, row.status]))).toEqual(
      new Map([
        [stale.id, "PENDING"],
        [declined.id, "DECLINED"],
      ]),
    );
    await failure(accept(null, fresh.id));
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
          data: {
            workspaceId: workspace.id,
            email,
            role,
            invitedById: userId,
            expiresAt: new Date(Date.now() + 86_400_000),
          },
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
