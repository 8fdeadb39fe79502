import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDatabase, type Database, queryRows } from "../src/client.ts";
import { DatabaseError } from "../src/errors.ts";
import { loginRoles } from "../src/logins.ts";
import { sql } from "../src/query.ts";
import { testLogins } from "../src/testing/index.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";
import { arrangeTenancy, type Tenancy } from "./fixtures.ts";

// One login per process (src/logins.ts), proven as each login: the web host's can become
// northstar_app (and northstar_queue, to send jobs) but never the worker, whose policies see every
// workspace's integrations; the worker's can never become the API's role.

const ctx = useTestDatabase("host");
let t: Tenancy;
let worker: Database;

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
  worker = createDatabase({ url: ctx().database.workerUrl, poolSize: 2 });
});

afterAll(() => worker.close());

/** `SET ROLE role` as the login at `url`, then current_user; one connection of its own. */
async function setRole(url: string, role: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`SET ROLE ${role}`);
    return (await client.query<{ current_user: string }>("SELECT current_user")).rows[0]?.current_user;
  } finally {
    await client.end();
  }
}

async function kindOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (error instanceof DatabaseError) return error.kind;
  if (error instanceof Error && "code" in error) return String(error.code);
  throw new Error(`expected a refusal, got ${String(error)}`);
}

describe("the logins", () => {
  test("each test login holds exactly its process's roles, is no superuser and cannot bypass RLS", async () => {
    const { rows } = await ctx().admin.query<{ login: string; roles: string[]; powerful: boolean; inherits: boolean }>(
      `SELECT l.rolname AS login, l.rolsuper OR l.rolbypassrls OR l.rolcreaterole OR l.rolcreatedb AS powerful,
              l.rolinherit AS inherits,
              array(SELECT r.rolname::text FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
                     WHERE m.member = l.oid ORDER BY 1) AS roles
         FROM pg_roles l WHERE l.rolname = ANY($1) ORDER BY 1`,
      [[testLogins.host, testLogins.worker]],
    );
    expect(rows).toEqual([
      { login: testLogins.host, roles: [...loginRoles.host].sort(), powerful: false, inherits: false },
      { login: testLogins.worker, roles: [...loginRoles.worker].sort(), powerful: false, inherits: false },
    ]);
  });
});

describe("the host's login", () => {
  test("takes northstar_app, and northstar_queue (job sender), and nothing else", async () => {
    const url = ctx().database.hostUrl;
    expect(await setRole(url, "northstar_app")).toBe("northstar_app");
    expect(await setRole(url, "northstar_queue")).toBe("northstar_queue");
    for (const role of ["northstar_worker", "northstar_definer", "northstar_test_worker", "postgres"])
      expect(await kindOf(setRole(url, role)), role).toBe("42501");
  });

  test("cannot work as the worker, through the client either", async () => {
    const workspaceId = t.workspaces.a;
    expect(await kindOf(ctx().db.withWorkerContext(workspaceId, (db) => db.integration.count()))).toBe(
      "permission_denied",
    );
    expect(await kindOf(queryRows(ctx().db.workerReader(), sql`SELECT count(*) FROM integrations`))).toBe(
      "permission_denied",
    );
  });

  test("cannot read another workspace: not as the app, not as the queue, not as itself", async () => {
    // Bob is a member of a only: with b as his context he sees none of b's rows.
    const forged = await ctx().db.withContext({ userId: t.users.bob, workspaceId: t.workspaces.b }, async (db) => ({
      kpis: await db.kpi.count(),
      integrations: await db.integration.count(),
    }));
    expect(forged).toEqual({ kpis: 0, integrations: 0 });
    const client = new pg.Client({ connectionString: ctx().database.hostUrl });
    await client.connect();
    try {
      expect(await kindOf(client.query("SELECT count(*) FROM integrations"))).toBe("42501");
      await client.query("SET ROLE northstar_queue");
      expect(await kindOf(client.query("SELECT count(*) FROM kpis"))).toBe("42501");
      expect(await kindOf(client.query("SELECT * FROM app.due_integrations(10)"))).toBe("42501");
    } finally {
      await client.end();
    }
  });

  test("may not list every user: app.development_users() is for development databases only", async () => {
    const { rows } = await ctx().admin.query<{ allowed: boolean }>(
      "SELECT has_function_privilege('northstar_app', 'app.development_users(integer)', 'EXECUTE') AS allowed",
    );
    expect(rows).toEqual([{ allowed: false }]);
    expect(
      await kindOf(
        queryRows(ctx().db.reader({ userId: null, workspaceId: null }), sql`SELECT * FROM app.development_users(10)`),
      ),
    ).toBe("permission_denied");
  });
});

describe("the worker's login", () => {
  test("takes northstar_worker and northstar_queue, never northstar_app", async () => {
    const url = ctx().database.workerUrl;
    expect(await setRole(url, "northstar_worker")).toBe("northstar_worker");
    expect(await setRole(url, "northstar_queue")).toBe("northstar_queue");
    for (const role of ["northstar_app", "northstar_definer", "northstar_test_host", "postgres"])
      expect(await kindOf(setRole(url, role)), role).toBe("42501");
    expect(
      await kindOf(worker.withContext({ userId: t.users.alice, workspaceId: t.workspaces.a }, (db) => db.kpi.count())),
    ).toBe("permission_denied");
    expect(
      await kindOf(queryRows(worker.reader({ userId: t.users.alice, workspaceId: t.workspaces.a }), sql`SELECT 1`)),
    ).toBe("permission_denied");
  });

  test("works in one workspace's context at a time", async () => {
    expect(await worker.withWorkerContext(t.workspaces.a, (db) => db.integration.count())).toBe(1);
  });
});
