import { createHash, randomUUID } from "node:crypto";
import { beforeAll, describe, expect, test } from "vitest";
import type { ScopedDb } from "../src/client.ts";
import { DatabaseError } from "../src/errors.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";
import { arrangeTenancy, type Tenancy } from "./fixtures.ts";

// API keys under row-level security, through the application's own non-superuser connection:
// only the context workspace's OWNERs and ADMINs see or make keys, nobody reads a key's hash, and
// the lookup before any context is the definer function's alone.

const ctx = useTestDatabase();
let t: Tenancy;

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
});

type UserName = keyof Tenancy["users"];

function as<T>(user: UserName | null, workspace: "a" | "b" | null, work: (db: ScopedDb) => Promise<T>): Promise<T> {
  return ctx().db.withContext(
    { userId: user ? t.users[user] : null, workspaceId: workspace ? t.workspaces[workspace] : null },
    work,
  );
}

function hashOf(secret: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(createHash("sha256").update(secret).digest());
}

let counter = 0;
function publicId(): string {
  counter += 1;
  return `k${String(counter).padStart(11, "0")}`;
}

async function insertKey(user: UserName, workspace: "a" | "b", options: { createdBy?: string } = {}) {
  const id = publicId();
  const secret = randomUUID();
  const workspaceId = t.workspaces[workspace];
  const rows = await as(user, workspace, (db) =>
    db.$queryRaw<{ id: string }[]>(Prisma.sql`
      INSERT INTO api_keys (workspace_id, name, public_id, token_hash, scopes, created_by)
      VALUES (${workspaceId}::uuid, 'script', ${id}, ${hashOf(secret)}, ARRAY['read']::"ApiKeyScope"[],
              ${options.createdBy ?? t.users[user]}::uuid)
      RETURNING id::text AS id`),
  );
  return { id: rows[0]?.id ?? "", publicId: id, secret };
}

async function refusal(promise: Promise<unknown>): Promise<string | null> {
  const error: unknown = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  return error instanceof DatabaseError ? error.kind : null;
}

function lookup(publicKeyId: string, secret: string) {
  return as(null, null, (db) =>
    db.$queryRaw<{ key_id: string; workspace_id: string; user_id: string; creator_role: string | null }[]>(
      Prisma.sql`SELECT key_id::text, workspace_id::text, user_id::text, creator_role
                   FROM app.api_key_for_token(${publicKeyId}, ${hashOf(secret)})`,
    ),
  );
}

async function touch(publicKeyId: string, secret: string): Promise<boolean | undefined> {
  const rows = await as(null, null, (db) =>
    db.$queryRaw<{ touched: boolean }[]>(
      Prisma.sql`SELECT app.touch_api_key(${publicKeyId}, ${hashOf(secret)}) AS touched`,
    ),
  );
  return rows[0]?.touched;
}

describe("api_keys", () => {
  test("owners and admins of the context workspace see and make its keys; members, viewers and other tenants none", async () => {
    const keyA = await insertKey("alice", "a");
    const keyB = await insertKey("alice", "b");
    const visible = (user: UserName, workspace: "a" | "b") =>
      as(user, workspace, async (db) =>
        (await db.apiKey.findMany({ select: { id: true } })).map((key) => key.id).sort(),
      );
    expect(await visible("alice", "a")).toContain(keyA.id);
    expect(await visible("alice", "a")).not.toContain(keyB.id);
    expect(await visible("carol", "b")).toEqual(expect.arrayContaining([keyB.id]));
    expect(await visible("carol", "b")).not.toContain(keyA.id);
    expect(await visible("bob", "a")).toEqual([]);
    expect(await visible("vera", "a")).toEqual([]);
    expect(await visible("dave", "a")).toEqual([]);
    expect(await refusal(insertKey("bob", "a"))).toBe("permission_denied");
    // Nobody makes a key in someone else's name.
    expect(await refusal(insertKey("alice", "a", { createdBy: t.users.bob }))).toBe("permission_denied");
  });

  test("nobody reads a key's hash, deletes a key, or changes more than its revocation", async () => {
    const key = await insertKey("alice", "a");
    expect(await refusal(as("alice", "a", (db) => db.$queryRaw(Prisma.sql`SELECT token_hash FROM api_keys`)))).toBe(
      "permission_denied",
    );
    expect(
      await refusal(
        as("alice", "a", (db) => db.$executeRaw(Prisma.sql`DELETE FROM api_keys WHERE id = ${key.id}::uuid`)),
      ),
    ).toBe("permission_denied");
    expect(
      await refusal(
        as("alice", "a", (db) =>
          db.$executeRaw(
            Prisma.sql`UPDATE api_keys SET scopes = ARRAY['write']::"ApiKeyScope"[] WHERE id = ${key.id}::uuid`,
          ),
        ),
      ),
    ).toBe("permission_denied");
    const revoked = await as("alice", "a", (db) =>
      db.apiKey.updateMany({ where: { id: key.id }, data: { revokedAt: new Date() } }),
    );
    expect(revoked.count).toBe(1);
    // A member's revocation touches nothing.
    const other = await insertKey("alice", "a");
    const byMember = await as("bob", "a", (db) =>
      db.apiKey.updateMany({ where: { id: other.id }, data: { revokedAt: new Date() } }),
    );
    expect(byMember.count).toBe(0);
  });

  test("the definer functions find a live key by its secret and mark it used once a minute; a revoked key is not found", async () => {
    const key = await insertKey("alice", "b");
    expect(await lookup(key.publicId, "wrong")).toEqual([]);
    expect(await lookup("k99999999999", key.secret)).toEqual([]);
    const [found] = await lookup(key.publicId, key.secret);
    expect(found).toEqual({
      key_id: key.id,
      workspace_id: t.workspaces.b,
      user_id: t.users.alice,
      creator_role: "ADMIN",
    });
    const usedAt = async () =>
      (
        await ctx().admin.query<{ used: Date | null }>("SELECT last_used_at AS used FROM api_keys WHERE id = $1", [
          key.id,
        ])
      ).rows[0]?.used ?? null;
    // Looking a key up writes nothing; marking it used writes once a minute, and only with the secret.
    expect(await usedAt()).toBeNull();
    expect(await touch(key.publicId, "wrong")).toBe(false);
    expect(await usedAt()).toBeNull();
    expect(await touch(key.publicId, key.secret)).toBe(true);
    const first = await usedAt();
    expect(first).not.toBeNull();
    expect(await touch(key.publicId, key.secret)).toBe(false);
    expect(await usedAt()).toEqual(first);
    // A read-only lookup cannot be turned into a write by the application role either.
    expect(
      await refusal(
        as(null, null, (db) =>
          db.$executeRaw(Prisma.sql`UPDATE api_keys SET last_used_at = now() WHERE id = ${key.id}::uuid`),
        ),
      ),
    ).toBe("permission_denied");

    await as("alice", "b", (db) => db.apiKey.updateMany({ where: { id: key.id }, data: { revokedAt: new Date() } }));
    expect(await lookup(key.publicId, key.secret)).toEqual([]);
  });

  test("a key whose creator left answers no role", async () => {
    const key = await insertKey("alice", "a");
    await ctx().admin.query("UPDATE api_keys SET created_by = $1 WHERE id = $2", [t.users.dave, key.id]);
    const [found] = await lookup(key.publicId, key.secret);
    expect(found?.creator_role).toBeNull();
  });
});

// A key's requests run as its creator, with the key's id in the context: row-level security caps
// the creator's role at the key's scope (read: VIEWER, write: MEMBER) and refuses everything to a
// revoked, unknown or forged key, whatever the application checks.
describe("a key's scope under row-level security", () => {
  type Scope = "read" | "write";

  async function keyOf(user: UserName, workspace: "a" | "b", scopes: Scope[]): Promise<string> {
    const rows = await ctx().admin.query<{ id: string }>(
      `INSERT INTO api_keys (workspace_id, name, public_id, token_hash, scopes, created_by)
       VALUES ($1, 'script', $2, $3, $4::"ApiKeyScope"[], $5) RETURNING id::text AS id`,
      [t.workspaces[workspace], publicId(), Buffer.from(hashOf(randomUUID())), scopes, t.users[user]],
    );
    const id = rows.rows[0]?.id;
    if (!id) throw new Error("the key was not inserted");
    return id;
  }

  function withKey<T>(
    apiKeyId: string,
    user: UserName,
    workspace: "a" | "b",
    work: (db: ScopedDb) => Promise<T>,
  ): Promise<T> {
    return ctx().db.withContext({ userId: t.users[user], workspaceId: t.workspaces[workspace], apiKeyId }, work);
  }

  const roleOf = (db: ScopedDb) =>
    db.$queryRaw<{ role: string | null }[]>(Prisma.sql`SELECT app.current_workspace_role()::text AS role`);

  async function visible(db: ScopedDb) {
    const [kpis, points, members, workspaces, users] = [
      await db.kpi.count(),
      await db.kpiDataPoint.count(),
      await db.workspaceUser.count(),
      await db.workspace.count(),
      await db.user.count(),
    ];
    return { kpis, points, members, workspaces, users };
  }

  const newPoint = (kpiId: string, workspaceId: string) => ({
    workspaceId,
    kpiId,
    value: 7,
    timestamp: new Date(Date.UTC(2020, 0, 1, 0, 0, counter++)),
  });

  test("a read key of an OWNER reads but writes no KPI and no point (42501 or no rows)", async () => {
    const key = await keyOf("alice", "a", ["read"]);
    const workspaceId = t.workspaces.a;
    expect(await withKey(key, "alice", "a", roleOf)).toEqual([{ role: "VIEWER" }]);
    // Without the key the same user is the OWNER: the cap is the key's, not the user's.
    expect(await as("alice", "a", roleOf)).toEqual([{ role: "OWNER" }]);
    const seen = await withKey(key, "alice", "a", visible);
    expect(seen.kpis).toBeGreaterThan(0);
    expect(seen.points).toBeGreaterThanOrEqual(10);

    expect(
      await refusal(
        withKey(key, "alice", "a", (db) => db.kpi.create({ data: { workspaceId, name: "By a read key" } })),
      ),
    ).toBe("permission_denied");
    expect(
      await refusal(
        withKey(key, "alice", "a", (db) => db.kpiDataPoint.create({ data: newPoint(t.kpis.a, workspaceId) })),
      ),
    ).toBe("permission_denied");
    const writes = await withKey(key, "alice", "a", async (db) => [
      (await db.kpi.updateMany({ where: { id: t.kpis.a }, data: { name: "Renamed by a read key" } })).count,
      (await db.kpiDataPoint.updateMany({ where: { kpiId: t.kpis.a }, data: { value: -1 } })).count,
      (await db.kpiDataPoint.deleteMany({ where: { kpiId: t.kpis.a } })).count,
      (await db.kpi.deleteMany({ where: { id: t.kpis.a } })).count,
      (await db.workspaceUser.updateMany({ where: { userId: t.users.bob }, data: { role: "VIEWER" } })).count,
      (await db.workspace.updateMany({ data: { name: "Renamed by a read key" } })).count,
    ]);
    expect(writes).toEqual([0, 0, 0, 0, 0, 0]);
    // The key's creator could have done all of it: nothing changed.
    const truth = await ctx().admin.query<{ name: string; points: string }>(
      "SELECT name, (SELECT count(*) FROM kpi_data_points WHERE kpi_id = $1) AS points FROM kpis WHERE id = $1",
      [t.kpis.a],
    );
    expect(truth.rows).toEqual([{ name: "Revenue a", points: String(seen.points) }]);
    // The reader (hot reads) is capped the same way.
    const read = ctx().db.reader({ userId: t.users.alice, workspaceId, apiKeyId: key });
    expect(await read.$queryRaw(Prisma.sql`SELECT app.current_workspace_role()::text AS role`)).toEqual([
      { role: "VIEWER" },
    ]);
  });

  test("a write key writes KPIs and points but manages no members, integrations or keys", async () => {
    const key = await keyOf("alice", "b", ["read", "write"]);
    const workspaceId = t.workspaces.b;
    expect(await withKey(key, "alice", "b", roleOf)).toEqual([{ role: "MEMBER" }]);
    const written = await withKey(key, "alice", "b", async (db) => {
      await db.kpiDataPoint.create({ data: newPoint(t.kpis.b, workspaceId) });
      return (await db.kpi.updateMany({ where: { id: t.kpis.b }, data: { description: "by a write key" } })).count;
    });
    expect(written).toBe(1);
    const managed = await withKey(key, "alice", "b", async (db) => [
      (await db.workspaceUser.updateMany({ where: { userId: t.users.carol }, data: { role: "ADMIN" } })).count,
      // Not even its creator's own membership: a key does not make its creator leave.
      (await db.workspaceUser.deleteMany({ where: { userId: t.users.alice } })).count,
      (await db.integration.updateMany({ data: { name: "Renamed by a write key" } })).count,
      (await db.apiKey.updateMany({ data: { revokedAt: new Date() } })).count,
      (await db.apiKey.findMany({ select: { id: true } })).length,
    ]);
    expect(managed).toEqual([0, 0, 0, 0, 0]);
    expect(
      await refusal(
        withKey(key, "alice", "b", (db) =>
          db.integration.create({ data: { workspaceId, provider: "csv", name: "By a write key" } }),
        ),
      ),
    ).toBe("permission_denied");
    // Without the key the same ADMIN still manages the workspace (nothing above was the user's limit).
    expect(await as("alice", "b", roleOf)).toEqual([{ role: "ADMIN" }]);
  });

  test("a key never acts above its creator's role today", async () => {
    // A VIEWER's write key (made while they were more, or by an operator) writes nothing.
    const key = await keyOf("vera", "a", ["write"]);
    expect(await withKey(key, "vera", "a", roleOf)).toEqual([{ role: "VIEWER" }]);
    expect(
      await refusal(
        withKey(key, "vera", "a", (db) => db.kpiDataPoint.create({ data: newPoint(t.kpis.a, t.workspaces.a) })),
      ),
    ).toBe("permission_denied");
    // A key whose creator left the workspace: no user, no role, nothing visible.
    const orphan = await keyOf("bob", "a", ["write"]);
    await ctx().admin.query("UPDATE api_keys SET created_by = $1 WHERE id = $2", [t.users.dave, orphan]);
    expect(await withKey(orphan, "dave", "a", visible)).toEqual({
      kpis: 0,
      points: 0,
      members: 0,
      workspaces: 0,
      users: 0,
    });
  });

  test("a revoked, unknown or forged key reads nothing and writes nothing", async () => {
    const key = await keyOf("alice", "a", ["read", "write"]);
    expect((await withKey(key, "alice", "a", visible)).kpis).toBeGreaterThan(0);
    await as("alice", "a", (db) => db.apiKey.updateMany({ where: { id: key }, data: { revokedAt: new Date() } }));
    const nothing = { kpis: 0, points: 0, members: 0, workspaces: 0, users: 0 };
    expect(await withKey(key, "alice", "a", visible)).toEqual(nothing);
    expect(await withKey(key, "alice", "a", roleOf)).toEqual([{ role: null }]);
    expect(
      await refusal(
        withKey(key, "alice", "a", (db) => db.kpiDataPoint.create({ data: newPoint(t.kpis.a, t.workspaces.a) })),
      ),
    ).toBe("permission_denied");
    const read = ctx().db.reader({ userId: t.users.alice, workspaceId: t.workspaces.a, apiKeyId: key });
    expect(await read.$queryRaw(Prisma.sql`SELECT count(*)::int AS n FROM kpi_data_points`)).toEqual([{ n: 0 }]);

    // Forged: an id no key has; another user's key; the user's own key named in another workspace;
    // a setting that is not a UUID at all. Each can only take rights away.
    const bobs = await keyOf("bob", "a", ["write"]);
    const alicesInB = await keyOf("alice", "b", ["write"]);
    expect(await withKey(randomUUID(), "alice", "a", visible)).toEqual(nothing);
    expect(await withKey(bobs, "alice", "a", visible)).toEqual(nothing);
    expect(await withKey(alicesInB, "alice", "a", visible)).toEqual(nothing);
    const malformed = await as("alice", "a", async (db) => {
      await db.$executeRaw(Prisma.sql`SELECT set_config('app.api_key_id', 'not-a-key', true)`);
      return visible(db);
    });
    expect(malformed).toEqual(nothing);
  });

  test("a live key reaches its own workspace only: not its creator's other memberships, sessions, subscription or profile", async () => {
    const key = await keyOf("alice", "a", ["read", "write"]);
    await ctx().admin.query(
      `INSERT INTO sessions (user_id, token_hash, expires_at) VALUES ($1, $2, now() + interval '1 day')`,
      [t.users.alice, Buffer.from(hashOf(randomUUID()))],
    );
    await ctx().admin.query(
      `INSERT INTO subscriptions (user_id, plan, current_period_start, current_period_end)
       VALUES ($1, 'PRO', now(), now() + interval '30 days')`,
      [t.users.alice],
    );
    const personal = (db: ScopedDb) =>
      Promise.all([
        db.workspace.count(),
        db.workspaceUser.count({ where: { workspaceId: t.workspaces.b } }),
        db.session.count(),
        db.subscription.count(),
      ]);
    // The same user in the same workspace without a key reaches all of it.
    expect(await as("alice", "a", personal)).toEqual([2, 1, 1, 1]);
    expect(await withKey(key, "alice", "a", personal)).toEqual([1, 0, 0, 0]);
    const changed = await withKey(key, "alice", "a", async (db) => [
      (await db.user.updateMany({ where: { id: t.users.alice }, data: { name: "Renamed by a key" } })).count,
      (await db.session.deleteMany({ where: { userId: t.users.alice } })).count,
    ]);
    expect(changed).toEqual([0, 0]);
    // It still sees who it works with: the workspace's members, by name.
    expect(await withKey(key, "alice", "a", (db) => db.workspaceUser.count())).toBe(3);
    expect(await withKey(key, "alice", "a", (db) => db.user.count())).toBe(3);
  });

  test("a live key answers no invitation and creates no workspace in its creator's name", async () => {
    const key = await keyOf("bob", "a", ["read", "write"]);
    const invited = await ctx().admin.query<{ id: string }>(
      `INSERT INTO invitations (workspace_id, email, role, invited_by_id, expires_at)
       SELECT $1, email, 'ADMIN', $2, now() + interval '1 day' FROM users WHERE id = $3
       RETURNING id::text AS id`,
      [t.workspaces.b, t.users.carol, t.users.bob],
    );
    const invitationId = invited.rows[0]?.id ?? "";
    const mine = (db: ScopedDb) =>
      db.$queryRaw<{ id: string }[]>(Prisma.sql`SELECT invitation_id::text AS id FROM app.my_invitations()`);
    expect(await as("bob", "a", mine)).toEqual([{ id: invitationId }]);
    expect(await withKey(key, "bob", "a", mine)).toEqual([]);
    expect(
      await refusal(
        withKey(key, "bob", "a", (db) =>
          db.$queryRaw(Prisma.sql`SELECT app.accept_invitation(${invitationId}::uuid) AS workspace_id`),
        ),
      ),
    ).toBe("permission_denied");
    const declined = await withKey(key, "bob", "a", (db) =>
      db.$queryRaw<{ declined: boolean }[]>(
        Prisma.sql`SELECT app.decline_invitation(${invitationId}::uuid) AS declined`,
      ),
    );
    expect(declined).toEqual([{ declined: false }]);
    expect(
      await refusal(
        withKey(key, "bob", "a", (db) =>
          db.$queryRaw(Prisma.sql`SELECT app.create_workspace('By a key', ${`by-a-key-${counter++}`}) AS id`),
        ),
      ),
    ).toBe("permission_denied");
    // The invitation is still Bob's to answer, himself.
    expect(await as("bob", "a", mine)).toEqual([{ id: invitationId }]);
  });

  test("a key id that is not a UUID never reaches the database (the reader inlines it into its SQL)", async () => {
    const forged = "x', true), set_config('app.api_key_id', '";
    expect(() => ctx().db.reader({ userId: t.users.alice, workspaceId: t.workspaces.a, apiKeyId: forged })).toThrow(
      /apiKeyId must be a UUID/,
    );
    await expect(
      ctx().db.withContext({ userId: t.users.alice, workspaceId: t.workspaces.a, apiKeyId: forged }, (db) =>
        db.kpi.count(),
      ),
    ).rejects.toThrow(/apiKeyId must be a UUID/);
  });

  test("the key lookup is the definer's (empty search_path), and only the application may call it", async () => {
    const functions = await ctx().admin.query<{ owner: string; secdef: boolean; config: string[] | null }>(
      `SELECT pg_get_userbyid(p.proowner) AS owner, p.prosecdef AS secdef, p.proconfig AS config
         FROM pg_proc p WHERE p.oid = 'app_private.context_api_key_role()'::regprocedure`,
    );
    expect(functions.rows).toEqual([{ owner: "northstar_definer", secdef: true, config: ['search_path=""'] }]);
    const callers = await ctx().admin.query<{ role: string; allowed: boolean }>(
      `SELECT r AS role, has_function_privilege(r, 'app_private.context_api_key_role()', 'EXECUTE') AS allowed
         FROM unnest(ARRAY['northstar_app', 'northstar_worker', 'northstar_queue']) AS r ORDER BY r`,
    );
    expect(callers.rows).toEqual([
      { role: "northstar_app", allowed: true },
      { role: "northstar_queue", allowed: false },
      { role: "northstar_worker", allowed: false },
    ]);
  });
});
