import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDatabase, type Database, type ScopedDb } from "../src/client.ts";
import { DatabaseError } from "../src/errors.ts";
import { arrangeTenancy, type Tenancy } from "./fixtures.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// Row-level security, proven through the application's own non-superuser connection.

const ctx = useTestDatabase();
let t: Tenancy;

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
});

type UserName = keyof Tenancy["users"];
type WorkspaceName = keyof Tenancy["workspaces"];

function as<T>(user: UserName | null, workspace: WorkspaceName | null, work: (db: ScopedDb) => Promise<T>): Promise<T> {
  return ctx().db.withContext(
    { userId: user ? t.users[user] : null, workspaceId: workspace ? t.workspaces[workspace] : null },
    work,
  );
}

/** One statement as the host's login itself, outside any transaction and role. */
async function asHostLogin(sql: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: ctx().database.hostUrl });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function visibleCounts(db: ScopedDb) {
  return {
    kpis: await db.kpi.count(),
    dataPoints: await db.kpiDataPoint.count(),
    goals: await db.goal.count(),
    goalKpis: await db.goalKpi.count(),
    integrations: await db.integration.count(),
    syncRuns: await db.syncRun.count(),
  };
}

const nothing = { kpis: 0, dataPoints: 0, goals: 0, goalKpis: 0, integrations: 0, syncRuns: 0 };
const oneWorkspace = { kpis: 1, dataPoints: 10, goals: 1, goalKpis: 1, integrations: 1, syncRuns: 1 };

async function expectDenied(promise: Promise<unknown>, kind: DatabaseError["kind"] = "permission_denied") {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DatabaseError);
  expect((error as DatabaseError).kind).toBe(kind);
}

describe("reading", () => {
  test("each member sees exactly the context workspace's rows", async () => {
    expect(await as("alice", "a", visibleCounts)).toEqual(oneWorkspace);
    expect(await as("alice", "b", visibleCounts)).toEqual(oneWorkspace);
    expect(await as("bob", "a", visibleCounts)).toEqual(oneWorkspace);
    expect(await as("vera", "a", visibleCounts)).toEqual(oneWorkspace);
    expect(await as("carol", "b", visibleCounts)).toEqual(oneWorkspace);
    const ids = await as("alice", "b", async (db) =>
      (await db.kpi.findMany({ select: { id: true } })).map((k) => k.id),
    );
    expect(ids).toEqual([t.kpis.b]);
  });

  test("a forged workspace id shows nothing", async () => {
    expect(await as("bob", "b", visibleCounts)).toEqual(nothing);
    expect(await as("dave", "a", visibleCounts)).toEqual(nothing);
  });

  test("an explicit filter on another workspace finds nothing", async () => {
    const found = await as("bob", "a", (db) => db.kpi.findMany({ where: { workspaceId: t.workspaces.b } }));
    expect(found).toEqual([]);
    const raw = await as(
      "bob",
      "a",
      (db) =>
        db.$queryRaw<
          { n: bigint }[]
        >`SELECT count(*) AS n FROM kpi_data_points WHERE workspace_id = ${t.workspaces.b}::uuid`,
    );
    expect(raw[0]?.n).toBe(0n);
  });

  test("no context, or a malformed one, shows nothing and raises nothing", async () => {
    expect(await as(null, null, visibleCounts)).toEqual(nothing);
    expect(await as("alice", null, visibleCounts)).toEqual(nothing);
    expect(await as(null, "a", visibleCounts)).toEqual(nothing);
    const malformed = await as("alice", "a", async (db) => {
      await db.$executeRaw`SELECT set_config('app.workspace_id', 'not-a-uuid', true),
        set_config('app.user_id', '1; drop table kpis', true)`;
      return visibleCounts(db);
    });
    expect(malformed).toEqual(nothing);
  });

  test("a pooled connection does not carry one request's context into the next", async () => {
    const single = createDatabase({ url: ctx().database.hostUrl, poolSize: 1 });
    try {
      expect(await single.withContext({ userId: t.users.alice, workspaceId: t.workspaces.a }, visibleCounts)).toEqual(
        oneWorkspace,
      );
      expect(await single.withContext({ userId: null, workspaceId: null }, visibleCounts)).toEqual(nothing);
      const settings = await single.withContext(
        { userId: null, workspaceId: null },
        (db) =>
          db.$queryRaw<{ user_id: string; workspace_id: string; role: string }[]>`
            SELECT current_setting('app.user_id', true) AS user_id,
                   current_setting('app.workspace_id', true) AS workspace_id, current_user AS role`,
      );
      expect(settings).toEqual([{ user_id: "", workspace_id: "", role: "northstar_app" }]);
      // Outside any transaction the login itself can do nothing.
      await expect(asHostLogin("SELECT count(*) FROM kpis")).rejects.toMatchObject({ code: "42501" });
    } finally {
      await single.close();
    }
  });

  test("parallel requests for different workspaces on a pool of one never bleed", async () => {
    const single = createDatabase({ url: ctx().database.hostUrl, poolSize: 1 });
    try {
      const runs = Array.from({ length: 24 }, (_, i) => {
        const [user, workspace] = i % 2 === 0 ? (["bob", "a"] as const) : (["carol", "b"] as const);
        return single.withContext({ userId: t.users[user], workspaceId: t.workspaces[workspace] }, async (db) => {
          const kpis = await db.kpi.findMany({ select: { workspaceId: true } });
          return kpis.map((k) => k.workspaceId).concat(t.workspaces[workspace]);
        });
      });
      for (const seen of await Promise.all(runs)) expect(new Set(seen).size).toBe(1);
    } finally {
      await single.close();
    }
  });

  test("members see each other's names, not other tenants' users", async () => {
    const bobSees = await as("bob", "a", (db) => db.user.findMany({ select: { id: true } }));
    expect(bobSees.map((u) => u.id).sort()).toEqual([t.users.alice, t.users.bob, t.users.vera].sort());
    const daveSees = await as("dave", "a", (db) => db.user.findMany({ select: { id: true } }));
    expect(daveSees.map((u) => u.id)).toEqual([t.users.dave]);
  });

  test("my workspaces are visible without a context workspace, and only mine", async () => {
    const alice = await as("alice", null, (db) => db.workspace.findMany({ select: { id: true } }));
    expect(alice.map((w) => w.id).sort()).toEqual([t.workspaces.a, t.workspaces.b].sort());
    const bob = await as("bob", null, (db) => db.workspace.findMany({ select: { id: true } }));
    expect(bob.map((w) => w.id)).toEqual([t.workspaces.a]);
    const memberships = await as("bob", null, (db) => db.workspaceUser.findMany({ select: { userId: true } }));
    expect(memberships.map((m) => m.userId)).toEqual([t.users.bob]);
  });

  test("members list every membership of the context workspace; outsiders none", async () => {
    expect(await as("vera", "a", (db) => db.workspaceUser.count())).toBe(3);
    expect(await as("dave", "a", (db) => db.workspaceUser.count())).toBe(0);
    expect(await as("bob", "b", (db) => db.workspaceUser.count({ where: { workspaceId: t.workspaces.b } }))).toBe(0);
  });
});

describe("writing", () => {
  test("a viewer reads but cannot write", async () => {
    await expectDenied(
      as("vera", "a", (db) => db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "Viewer's KPI" } })),
    );
    await expectDenied(
      as("vera", "a", (db) =>
        db.kpiDataPoint.create({
          data: { workspaceId: t.workspaces.a, kpiId: t.kpis.a, value: 1, timestamp: new Date() },
        }),
      ),
    );
    const updated = await as("vera", "a", (db) =>
      db.kpi.updateMany({ where: { id: t.kpis.a }, data: { name: "Renamed" } }),
    );
    expect(updated.count).toBe(0);
    const deleted = await as("vera", "a", (db) => db.goal.deleteMany({ where: { id: t.goals.a } }));
    expect(deleted.count).toBe(0);
    expect(await as("alice", "a", visibleCounts)).toEqual(oneWorkspace);
  });

  test("a member writes KPIs, points and goals but not integrations or members", async () => {
    const kpi = await as("bob", "a", (db) =>
      db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "Signups", targetValue: 10 } }),
    );
    await as("bob", "a", (db) =>
      db.kpiDataPoint.create({ data: { workspaceId: t.workspaces.a, kpiId: kpi.id, value: 3, timestamp: new Date() } }),
    );
    await expectDenied(
      as("bob", "a", (db) =>
        db.integration.create({ data: { workspaceId: t.workspaces.a, provider: "csv", name: "Sheet" } }),
      ),
    );
    await expectDenied(
      as("bob", "a", (db) => db.workspaceUser.create({ data: { workspaceId: t.workspaces.a, userId: t.users.dave } })),
    );
    const renamed = await as("bob", "a", (db) => db.workspace.updateMany({ data: { name: "Bob's" } }));
    expect(renamed.count).toBe(0);
    await as("bob", "a", (db) =>
      db.kpi.update({
        where: { workspaceId_id: { workspaceId: t.workspaces.a, id: kpi.id } },
        data: { isActive: false, archivedAt: new Date() },
      }),
    );
  });

  test("inserting into another workspace is refused, even for a member of both", async () => {
    await expectDenied(
      as("alice", "a", (db) => db.kpi.create({ data: { workspaceId: t.workspaces.b, name: "Smuggled" } })),
    );
    await expectDenied(
      as("bob", "a", (db) => db.goal.create({ data: { workspaceId: t.workspaces.b, title: "Smuggled" } })),
    );
    expect(
      await ctx()
        .admin.query("SELECT 1 FROM kpis WHERE name = 'Smuggled'")
        .then((r) => r.rowCount),
    ).toBe(0);
  });

  test("moving a row to another workspace is refused", async () => {
    await expectDenied(
      as("alice", "a", (db) => db.goal.updateMany({ where: { id: t.goals.a }, data: { workspaceId: t.workspaces.b } })),
    );
    await expectDenied(
      as(
        "alice",
        "a",
        (db) => db.$executeRaw`UPDATE kpis SET workspace_id = ${t.workspaces.b}::uuid WHERE id = ${t.kpis.a}::uuid`,
      ),
    );
    const goal = await ctx().admin.query<{ workspace_id: string }>("SELECT workspace_id FROM goals WHERE id = $1", [
      t.goals.a,
    ]);
    expect(goal.rows[0]?.workspace_id).toBe(t.workspaces.a);
  });

  test("child rows cannot point into another tenant (composite foreign keys)", async () => {
    await expectDenied(
      as("alice", "a", (db) =>
        db.kpiDataPoint.create({
          data: { workspaceId: t.workspaces.a, kpiId: t.kpis.b, value: 1, timestamp: new Date() },
        }),
      ),
      "foreign_key_violation",
    );
    await expectDenied(
      as("alice", "a", (db) =>
        db.goalKpi.create({ data: { workspaceId: t.workspaces.a, goalId: t.goals.a, kpiId: t.kpis.b } }),
      ),
      "foreign_key_violation",
    );
  });

  test("no context: every write fails", async () => {
    await expectDenied(
      as(null, null, (db) => db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "Orphan" } })),
    );
    await expectDenied(
      as("alice", null, (db) => db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "Orphan" } })),
    );
    await expectDenied(as(null, "a", (db) => db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "Orphan" } })));
  });

  test("a request that fails after writing leaves nothing behind", async () => {
    const failure = new Error("handler failed after its write");
    await expect(
      as("alice", "a", async (db) => {
        await db.kpi.create({ data: { workspaceId: t.workspaces.a, name: "Half-written" } });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(
      await ctx()
        .admin.query("SELECT 1 FROM kpis WHERE name = 'Half-written'")
        .then((r) => r.rowCount),
    ).toBe(0);
  });

  test("only admins and owners manage integrations; only owners delete the workspace", async () => {
    const integration = await as("alice", "b", (db) =>
      db.integration.create({
        data: { workspaceId: t.workspaces.b, provider: "csv", name: "Admin's sheet" },
        select: { id: true },
      }),
    );
    expect(integration.id).toMatch(/[0-9a-f-]{36}/);
    const byAdmin = await as("alice", "b", (db) => db.workspace.deleteMany({ where: { id: t.workspaces.b } }));
    expect(byAdmin.count).toBe(0);
  });
});

describe("memberships and roles", () => {
  test("an admin can neither make an owner nor touch one", async () => {
    await expectDenied(
      as("alice", "b", (db) =>
        db.workspaceUser.updateMany({ where: { userId: t.users.alice }, data: { role: "OWNER" } }),
      ),
    );
    const demote = await as("alice", "b", (db) =>
      db.workspaceUser.updateMany({ where: { userId: t.users.carol }, data: { role: "MEMBER" } }),
    );
    expect(demote.count).toBe(0);
  });

  test("the last owner cannot leave or be demoted; a transfer in one transaction works", async () => {
    await expectDenied(
      as("carol", "b", (db) => db.workspaceUser.deleteMany({ where: { userId: t.users.carol } })),
      "check_violation",
    );
    await expectDenied(
      as("carol", "b", (db) =>
        db.workspaceUser.updateMany({ where: { userId: t.users.carol }, data: { role: "ADMIN" } }),
      ),
      "check_violation",
    );
    await as("carol", "b", async (db) => {
      await db.workspaceUser.updateMany({ where: { userId: t.users.alice }, data: { role: "OWNER" } });
      await db.workspaceUser.updateMany({ where: { userId: t.users.carol }, data: { role: "ADMIN" } });
    });
    const roles = await ctx().admin.query<{ user_id: string; role: string }>(
      "SELECT user_id, role FROM workspace_users WHERE workspace_id = $1 ORDER BY role",
      [t.workspaces.b],
    );
    expect(roles.rows).toEqual([
      { user_id: t.users.alice, role: "OWNER" },
      { user_id: t.users.carol, role: "ADMIN" },
    ]);
    // And back, so other tests keep their arrangement.
    await as("alice", "b", async (db) => {
      await db.workspaceUser.updateMany({ where: { userId: t.users.carol }, data: { role: "OWNER" } });
      await db.workspaceUser.updateMany({ where: { userId: t.users.alice }, data: { role: "ADMIN" } });
    });
  });

  test("a transaction refused at commit returns its connection to the pool", async () => {
    const single = createDatabase({ url: ctx().database.hostUrl, poolSize: 1, connectionTimeoutMs: 2_000 });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        await expectDenied(
          single.withContext({ userId: t.users.carol, workspaceId: t.workspaces.b }, (db) =>
            db.workspaceUser.deleteMany({ where: { userId: t.users.carol } }),
          ),
          "check_violation",
        );
      }
      expect(
        await single.withContext({ userId: t.users.carol, workspaceId: t.workspaces.b }, (db) => db.kpi.count()),
      ).toBe(1);
    } finally {
      await single.close();
    }
  });

  test("creating a workspace makes its creator the owner", async () => {
    const slug = `dave-${randomUUID().slice(0, 8)}`;
    const created = await as(
      "dave",
      null,
      (db) => db.$queryRaw<{ id: string }[]>`SELECT app.create_workspace('Dave''s', ${slug}) AS id`,
    );
    const id = created[0]?.id;
    expect(id).toBeDefined();
    const mine = await ctx().db.withContext({ userId: t.users.dave, workspaceId: id ?? null }, (db) =>
      db.workspaceUser.findMany({ select: { userId: true, role: true } }),
    );
    expect(mine).toEqual([{ userId: t.users.dave, role: "OWNER" }]);
    await expectDenied(as(null, null, (db) => db.$queryRaw`SELECT app.create_workspace('Nobody', 'nobody-s')`));
  });

  test("the owner deletes the workspace and everything in it goes", async () => {
    const slug = `doomed-${randomUUID().slice(0, 8)}`;
    const created = await as(
      "dave",
      null,
      (db) => db.$queryRaw<{ id: string }[]>`SELECT app.create_workspace('Doomed', ${slug}) AS id`,
    );
    const workspaceId = created[0]?.id ?? null;
    await ctx().db.withContext({ userId: t.users.dave, workspaceId }, async (db) => {
      const kpi = await db.kpi.create({ data: { workspaceId: workspaceId ?? "", name: "Doomed KPI" } });
      await db.kpiDataPoint.create({
        data: { workspaceId: workspaceId ?? "", kpiId: kpi.id, value: 1, timestamp: new Date() },
      });
    });
    const removed = await ctx().db.withContext({ userId: t.users.dave, workspaceId }, (db) =>
      db.workspace.deleteMany({ where: { id: workspaceId ?? "" } }),
    );
    expect(removed.count).toBe(1);
    const left = await ctx().admin.query(
      `SELECT (SELECT count(*) FROM kpis WHERE workspace_id = $1)
            + (SELECT count(*) FROM kpi_data_points WHERE workspace_id = $1)
            + (SELECT count(*) FROM workspace_users WHERE workspace_id = $1) AS n`,
      [workspaceId],
    );
    expect(left.rows[0]).toEqual({ n: "0" });
  });

  test("subscriptions and sessions are their user's alone", async () => {
    await ctx().admin.query(
      `INSERT INTO subscriptions (user_id, plan, current_period_start, current_period_end)
       VALUES ($1, 'PRO', now(), now() + interval '30 days'), ($2, 'FREE', now(), now() + interval '30 days')`,
      [t.users.alice, t.users.bob],
    );
    const alice = await as("alice", "a", (db) => db.subscription.findMany({ select: { plan: true } }));
    expect(alice).toEqual([{ plan: "PRO" }]);
    await expectDenied(as("alice", "a", (db) => db.subscription.updateMany({ data: { plan: "BUSINESS" } })));
  });
});

describe("no looser than the API", () => {
  test("a user changes their own name and picture, never their email, and creates no user", async () => {
    const renamed = await as("bob", null, (db) =>
      db.user.updateMany({ where: { id: t.users.bob }, data: { name: "Robert", image: null } }),
    );
    expect(renamed.count).toBe(1);
    // The email is what invitations match: taking a victim's address must be impossible.
    await expectDenied(
      as(
        "bob",
        null,
        (db) => db.$executeRaw`UPDATE users SET email = 'victim@corp.io' WHERE id = ${t.users.bob}::uuid`,
      ),
    );
    await expectDenied(
      as("bob", null, (db) => db.user.update({ where: { id: t.users.bob }, data: { email: "victim@corp.io" } })),
    );
    await expectDenied(
      as("bob", null, (db) => db.user.update({ where: { id: t.users.bob }, data: { provider: "google" } })),
    );
    await expectDenied(
      as(
        "bob",
        null,
        (db) =>
          db.$executeRaw`INSERT INTO users (email, name, provider, provider_account_id)
                       VALUES ('new@example.com', 'New', 'github', 'new-account')`,
      ),
    );
    await expectDenied(as("bob", null, (db) => db.$executeRaw`DELETE FROM users WHERE id = ${t.users.bob}::uuid`));
    const email = await ctx().admin.query<{ email: string }>("SELECT email FROM users WHERE id = $1", [t.users.bob]);
    expect(email.rows[0]?.email).toMatch(/^bob-/);
  });

  test("memberships are never inserted directly, not even by an owner, and never move", async () => {
    await expectDenied(
      as(
        "carol",
        "b",
        (db) =>
          db.$executeRaw`INSERT INTO workspace_users (workspace_id, user_id, role)
                       VALUES (${t.workspaces.b}::uuid, ${t.users.dave}::uuid, 'MEMBER')`,
      ),
    );
    await expectDenied(
      as("alice", "b", (db) =>
        db.workspaceUser.create({ data: { workspaceId: t.workspaces.b, userId: t.users.dave, role: "VIEWER" } }),
      ),
    );
    await expectDenied(
      as(
        "alice",
        "a",
        (db) =>
          db.$executeRaw`UPDATE workspace_users SET user_id = ${t.users.dave}::uuid
                        WHERE workspace_id = ${t.workspaces.a}::uuid AND user_id = ${t.users.bob}::uuid`,
      ),
    );
    await expectDenied(
      as(
        "alice",
        "a",
        (db) =>
          db.$executeRaw`UPDATE workspace_users SET workspace_id = ${t.workspaces.b}::uuid
                        WHERE workspace_id = ${t.workspaces.a}::uuid AND user_id = ${t.users.bob}::uuid`,
      ),
    );
    const dave = await ctx().admin.query(
      "SELECT 1 FROM workspace_users WHERE user_id = $1 AND workspace_id = ANY($2::uuid[])",
      [t.users.dave, [t.workspaces.a, t.workspaces.b]],
    );
    expect(dave.rowCount).toBe(0);
    // What the API does still works: a role changes (here and back).
    for (const role of ["VIEWER", "MEMBER"] as const) {
      const changed = await as("alice", "a", (db) =>
        db.workspaceUser.updateMany({ where: { userId: t.users.bob }, data: { role } }),
      );
      expect(changed.count).toBe(1);
    }
  });

  test("an invitation starts pending in its inviter's name, and only its invitee answers it", async () => {
    const invite = (data: { invitedById?: string; status?: "PENDING" | "DECLINED" }) =>
      as("carol", "b", (db) =>
        db.invitation.create({
          data: {
            workspaceId: t.workspaces.b,
            email: `guest-${randomUUID().slice(0, 8)}@example.com`,
            expiresAt: new Date(Date.now() + 86_400_000),
            ...data,
          },
          select: { id: true },
        }),
      );
    await expectDenied(invite({ invitedById: t.users.alice }));
    await expectDenied(invite({ invitedById: t.users.carol, status: "DECLINED" }));
    const invitation = await invite({ invitedById: t.users.carol });
    await expectDenied(
      as("carol", "b", (db) =>
        db.invitation.updateMany({ where: { id: invitation.id }, data: { role: "OWNER", status: "PENDING" } }),
      ),
    );
    const withdrawn = await as("carol", "b", (db) => db.invitation.deleteMany({ where: { id: invitation.id } }));
    expect(withdrawn.count).toBe(1);
  });
});

describe("the sync worker", () => {
  // The worker's own login: the host's cannot take northstar_worker (see logins.test.ts).
  let worker: Database;
  beforeAll(() => {
    worker = createDatabase({ url: ctx().database.workerUrl, poolSize: 2 });
  });
  afterAll(() => worker.close());

  function asWorker<T>(workspace: WorkspaceName, work: (db: ScopedDb) => Promise<T>) {
    return worker.withWorkerContext(t.workspaces[workspace], work);
  }

  test("sees its workspace's KPIs and integrations only, and nothing it does not need", async () => {
    expect(await asWorker("a", (db) => db.kpi.count())).toBeGreaterThan(0);
    const ids = await asWorker("a", (db) => db.integration.findMany({ select: { workspaceId: true } }));
    expect(new Set(ids.map((i) => i.workspaceId))).toEqual(new Set([t.workspaces.a]));
    await expectDenied(asWorker("a", (db) => db.goal.count()));
    await expectDenied(asWorker("a", (db) => db.workspaceUser.count()));
  });

  test("writes points into its workspace, never into another, even with a tampered mapping", async () => {
    // A point of integration a, as the worker in workspace a writes it, into this workspace and KPI.
    const writePoint = (workspace: WorkspaceName, kpi: WorkspaceName) =>
      asWorker("a", (db) =>
        db.kpiDataPoint.create({
          data: {
            workspaceId: t.workspaces[workspace],
            kpiId: t.kpis[kpi],
            value: 42,
            timestamp: new Date(),
            source: "INTEGRATION",
            integrationId: t.integrations.a,
          },
        }),
      );
    await writePoint("a", "a");
    await expectDenied(writePoint("b", "b"));
    await expectDenied(writePoint("a", "b"), "foreign_key_violation");
    await expectDenied(asWorker("a", (db) => db.kpi.updateMany({ data: { name: "Renamed by worker" } })));
  });

  test("cannot ask who belongs where: the membership helpers and the user context are not its", async () => {
    const calls: ((db: ScopedDb) => Promise<unknown>)[] = [
      (db) => db.$queryRaw`SELECT app_private.is_context_member()`,
      (db) => db.$queryRaw`SELECT * FROM app_private.context_member_user_ids()`,
      (db) => db.$queryRaw`SELECT app.member_workspace_id()`,
      (db) => db.$queryRaw`SELECT app.current_workspace_role()`,
      (db) => db.$queryRaw`SELECT app.current_user_id()`,
    ];
    for (const call of calls) await expectDenied(asWorker("a", call));
    // Its own context still reads.
    const own = await asWorker(
      "a",
      (db) => db.$queryRaw<{ id: string }[]>`SELECT app.current_workspace_id()::text AS id`,
    );
    expect(own).toEqual([{ id: t.workspaces.a }]);
  });
});

describe("the roles themselves", () => {
  test("runtime roles are neither superuser nor BYPASSRLS and own nothing", async () => {
    const roles = await ctx().admin.query<{ rolname: string; rolsuper: boolean; rolbypassrls: boolean; owns: string }>(
      `SELECT r.rolname, r.rolsuper, r.rolbypassrls,
              (SELECT count(*) FROM pg_class c
                WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace) AS owns
         FROM pg_roles r
        WHERE r.rolname IN ('northstar_app', 'northstar_worker', 'northstar_test_host', 'northstar_test_worker')
        ORDER BY r.rolname`,
    );
    expect(roles.rows).toEqual([
      { rolname: "northstar_app", rolsuper: false, rolbypassrls: false, owns: "0" },
      { rolname: "northstar_test_host", rolsuper: false, rolbypassrls: false, owns: "0" },
      { rolname: "northstar_test_worker", rolsuper: false, rolbypassrls: false, owns: "0" },
      { rolname: "northstar_worker", rolsuper: false, rolbypassrls: false, owns: "0" },
    ]);
  });

  test("every table has row-level security enabled, forced, and policies", async () => {
    const tables = await ctx().admin.query<{
      relname: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
      policies: string;
    }>(
      `SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
              (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
         FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relname <> '_prisma_migrations'
        ORDER BY c.relname`,
    );
    expect(tables.rows.map((r) => r.relname)).toEqual([
      "api_keys",
      "billing_events",
      "goal_kpis",
      "goals",
      "integration_metrics",
      "integrations",
      "invitations",
      "kpi_data_points",
      "kpi_data_versions",
      "kpi_rollups_daily",
      "kpi_rollups_hourly",
      "kpis",
      "sessions",
      "subscriptions",
      "sync_runs",
      "users",
      "workspace_users",
      "workspaces",
    ]);
    for (const table of tables.rows) {
      expect(table, table.relname).toMatchObject({ relrowsecurity: true, relforcerowsecurity: true });
      expect(Number(table.policies), table.relname).toBeGreaterThan(0);
    }
  });

  test("the application login cannot read the migrations table or raise its own privileges", async () => {
    await expect(asHostLogin("SELECT * FROM _prisma_migrations")).rejects.toMatchObject({ code: "42501" });
    await expectDenied(as("alice", "a", (db) => db.$executeRaw`SELECT set_config('role', 'postgres', true)`));
    await expectDenied(as("alice", "a", (db) => db.$executeRaw`ALTER TABLE kpis DISABLE ROW LEVEL SECURITY`));
  });
});
