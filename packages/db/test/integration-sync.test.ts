import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDatabase, type Database, type ScopedDb } from "../src/client.ts";
import { DatabaseError } from "../src/errors.ts";
import { queueConnectionUrl } from "../src/queue.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";
import { arrangeTenancy, type Tenancy } from "./fixtures.ts";

// Migration 20261125000600_integration_sync, through the application's own non-superuser login:
// integration_metrics under row-level security and its constraints, the worker's lease and its
// grants, the two definer functions that cross workspaces, and pg-boss's role and schema.

const ctx = useTestDatabase();
let t: Tenancy;
// The worker's own login (ctx().db is the host's).
let worker: Database;

beforeAll(async () => {
  worker = createDatabase({ url: ctx().database.workerUrl, poolSize: 2 });
  t = await arrangeTenancy(ctx().admin);
  for (const ws of ["a", "b"] as const) {
    await ctx().admin.query(
      "INSERT INTO integration_metrics (workspace_id, integration_id, metric_key, kpi_id) VALUES ($1, $2, 'value', $3)",
      [t.workspaces[ws], t.integrations[ws], t.kpis[ws]],
    );
  }
});

afterAll(() => worker.close());

type UserName = keyof Tenancy["users"];
type WorkspaceName = keyof Tenancy["workspaces"];

function as<T>(user: UserName, workspace: WorkspaceName, work: (db: ScopedDb) => Promise<T>): Promise<T> {
  return ctx().db.withContext({ userId: t.users[user], workspaceId: t.workspaces[workspace] }, work);
}

function asWorker<T>(workspace: WorkspaceName, work: (db: ScopedDb) => Promise<T>): Promise<T> {
  return worker.withWorkerContext(t.workspaces[workspace], work);
}

async function failure(promise: Promise<unknown>): Promise<DatabaseError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DatabaseError)) throw new Error(`expected a DatabaseError, got ${String(error)}`);
  return error;
}

const mapping = (ws: WorkspaceName, metricKey: string, kpi: WorkspaceName = ws) => ({
  workspaceId: t.workspaces[ws],
  integrationId: t.integrations[ws],
  metricKey,
  kpiId: t.kpis[kpi],
});

/**
 * Runs `sql` in one transaction as the given role (SET LOCAL ROLE) through the test login that
 * holds it: the worker's for northstar_worker, the host's for the others.
 */
async function asRole<T extends pg.QueryResultRow>(role: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const login = role === "northstar_worker" ? ctx().database.workerUrl : ctx().database.hostUrl;
  const client = new pg.Client({ connectionString: login });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query(`SET LOCAL ROLE ${role}`);
    const result = await client.query<T>(sql, values);
    await client.query("COMMIT");
    return result.rows;
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    await client.end();
  }
}

describe("integration_metrics under row-level security", () => {
  test("members read their context workspace's mappings only", async () => {
    expect(await as("vera", "a", (db) => db.integrationMetric.findMany({ select: { kpiId: true } }))).toEqual([
      { kpiId: t.kpis.a },
    ]);
    expect(await as("alice", "b", (db) => db.integrationMetric.count())).toBe(1);
    expect(await as("carol", "a", (db) => db.integrationMetric.count())).toBe(0);
    expect(await as("bob", "a", (db) => db.integrationMetric.count({ where: { workspaceId: t.workspaces.b } }))).toBe(
      0,
    );
  });

  test("OWNER and ADMIN write; MEMBER and VIEWER are refused", async () => {
    await as("alice", "b", (db) => db.integrationMetric.create({ data: mapping("b", "extra") }));
    expect(
      (await failure(as("bob", "a", (db) => db.integrationMetric.create({ data: mapping("a", "extra") })))).kind,
    ).toBe("permission_denied");
    expect(
      (await failure(as("vera", "a", (db) => db.integrationMetric.create({ data: mapping("a", "extra") })))).kind,
    ).toBe("permission_denied");
    // Updates and deletes by a MEMBER match no row.
    expect(await as("bob", "a", (db) => db.integrationMetric.deleteMany({}))).toEqual({ count: 0 });
    expect(await as("bob", "a", (db) => db.integrationMetric.updateMany({ data: { metricKey: "moved" } }))).toEqual({
      count: 0,
    });
    expect(await as("alice", "b", (db) => db.integrationMetric.deleteMany({ where: { metricKey: "extra" } }))).toEqual({
      count: 1,
    });
  });

  test("a forged workspace id is refused; no mapping may point at another workspace's integration or KPI", async () => {
    expect(
      (await failure(as("alice", "a", (db) => db.integrationMetric.create({ data: mapping("b", "forged") })))).kind,
    ).toBe("permission_denied");
    // Foreign keys bypass RLS: the composite keys (workspace_id, integration_id / kpi_id) close that door.
    const crossKpi = await failure(
      as("alice", "a", (db) => db.integrationMetric.create({ data: mapping("a", "cross", "b") })),
    );
    expect(crossKpi.kind).toBe("foreign_key_violation");
    const crossIntegration = await failure(
      as("alice", "a", (db) =>
        db.integrationMetric.create({ data: { ...mapping("a", "cross"), integrationId: t.integrations.b } }),
      ),
    );
    expect(crossIntegration.kind).toBe("foreign_key_violation");
  });

  test("one KPI per metric key of an integration, and keys are lower-case identifiers", async () => {
    expect(
      (await failure(as("alice", "a", (db) => db.integrationMetric.create({ data: mapping("a", "value") })))).kind,
    ).toBe("unique_violation");
    expect(
      (await failure(as("alice", "a", (db) => db.integrationMetric.create({ data: mapping("a", "Not A Key") })))).kind,
    ).toBe("check_violation");
  });

  test("the worker reads its context workspace's mappings and writes none", async () => {
    expect(await asWorker("a", (db) => db.integrationMetric.findMany({ select: { kpiId: true } }))).toEqual([
      { kpiId: t.kpis.a },
    ]);
    expect(await asWorker("a", (db) => db.integrationMetric.count({ where: { workspaceId: t.workspaces.b } }))).toBe(0);
    expect(
      (await failure(asWorker("a", (db) => db.integrationMetric.create({ data: mapping("a", "worker") })))).kind,
    ).toBe("permission_denied");
    expect(
      (await failure(asWorker("a", (db) => db.integrationMetric.updateMany({ data: { kpiId: t.kpis.b } })))).kind,
    ).toBe("permission_denied");
  });

  test("the mapping goes with its integration, and with its KPI", async () => {
    const kpi = randomUUID();
    await ctx().admin.query("INSERT INTO kpis (id, workspace_id, name) VALUES ($1, $2, 'Doomed')", [
      kpi,
      t.workspaces.a,
    ]);
    await ctx().admin.query(
      `INSERT INTO integration_metrics (workspace_id, integration_id, metric_key, kpi_id)
       VALUES ($1, $2, 'doomed', $3)`,
      [t.workspaces.a, t.integrations.a, kpi],
    );
    await ctx().admin.query("DELETE FROM kpis WHERE id = $1", [kpi]);
    expect((await ctx().admin.query("SELECT 1 FROM integration_metrics WHERE kpi_id = $1", [kpi])).rowCount).toBe(0);
  });
});

describe("the worker's lease", () => {
  test("the worker may set its lease columns, and not the integration's settings", async () => {
    const token = randomUUID();
    const claimed = await asWorker(
      "a",
      (db) =>
        db.$executeRaw`UPDATE integrations
                          SET lease_token = ${token}::uuid, lease_expires_at = now() + interval '1 minute'
                        WHERE id = ${t.integrations.a}::uuid AND lease_token IS NULL`,
    );
    expect(claimed).toBe(1);
    // The same conditional claim a second time finds the lease taken.
    expect(
      await asWorker(
        "a",
        (db) =>
          db.$executeRaw`UPDATE integrations SET lease_token = gen_random_uuid()
                          WHERE id = ${t.integrations.a}::uuid AND lease_token IS NULL`,
      ),
    ).toBe(0);
    expect(
      (
        await failure(
          asWorker(
            "a",
            (db) => db.$executeRaw`UPDATE integrations SET provider = 'csv' WHERE id = ${t.integrations.a}::uuid`,
          ),
        )
      ).kind,
    ).toBe("permission_denied");
    expect(
      (
        await failure(
          asWorker(
            "a",
            (db) => db.$executeRaw`UPDATE integrations SET lease_token = NULL WHERE id = ${t.integrations.a}::uuid`,
          ),
        )
      ).kind,
    ).toBe("check_violation");
    await asWorker(
      "a",
      (db) =>
        db.$executeRaw`UPDATE integrations SET lease_token = NULL, lease_expires_at = NULL
                        WHERE id = ${t.integrations.a}::uuid`,
    );
  });
});

describe("functions that cross workspaces", () => {
  async function due(limit = 100): Promise<Array<{ workspace_id: string; integration_id: string }>> {
    return asRole("northstar_worker", "SELECT * FROM app.due_integrations($1)", [limit]);
  }

  test("due_integrations: the due ones of all workspaces; none disabled, awaiting credentials or leased", async () => {
    await ctx().admin.query(
      `UPDATE integrations
          SET next_sync_at = now() - interval '1 minute', sync_status = 'IDLE', auth_failed_at = NULL,
              lease_token = NULL, lease_expires_at = NULL`,
    );
    const both = await due();
    expect(both.map((row) => row.integration_id).sort()).toEqual([t.integrations.a, t.integrations.b].sort());
    expect(Object.keys(both[0] ?? {}).sort()).toEqual(["integration_id", "workspace_id"]);
    expect(both.find((row) => row.integration_id === t.integrations.a)?.workspace_id).toBe(t.workspaces.a);

    await ctx().admin.query("UPDATE integrations SET sync_status = 'DISABLED' WHERE id = $1", [t.integrations.a]);
    expect((await due()).map((row) => row.integration_id)).toEqual([t.integrations.b]);
    await ctx().admin.query("UPDATE integrations SET sync_status = 'FAILED', auth_failed_at = now() WHERE id = $1", [
      t.integrations.a,
    ]);
    expect((await due()).map((row) => row.integration_id)).toEqual([t.integrations.b]);
    await ctx().admin.query(
      `UPDATE integrations
          SET sync_status = 'SYNCING', auth_failed_at = NULL,
              lease_token = gen_random_uuid(), lease_expires_at = now() + interval '1 minute'
        WHERE id = $1`,
      [t.integrations.a],
    );
    expect((await due()).map((row) => row.integration_id)).toEqual([t.integrations.b]);
    // A dead worker's lease expires: the integration is due again.
    await ctx().admin.query("UPDATE integrations SET lease_expires_at = now() - interval '1 second' WHERE id = $1", [
      t.integrations.a,
    ]);
    expect((await due()).length).toBe(2);
    await ctx().admin.query("UPDATE integrations SET next_sync_at = now() + interval '1 hour' WHERE id = $1", [
      t.integrations.a,
    ]);
    expect((await due()).map((row) => row.integration_id)).toEqual([t.integrations.b]);
    expect(await due(0)).toEqual([]);
    await ctx().admin.query(
      "UPDATE integrations SET sync_status = 'IDLE', lease_token = NULL, lease_expires_at = NULL",
    );
  });

  test("due_integrations takes workspaces in turn: one tenant's many due ones do not fill the batch", async () => {
    const client = await ctx().admin.connect();
    try {
      for (let index = 0; index < 5; index++) {
        await client.query(
          `INSERT INTO integrations (workspace_id, provider, name, next_sync_at)
           VALUES ($1, 'csv', $2, now() - interval '1 day')`,
          [t.workspaces.a, `Bulk ${index}`],
        );
      }
      await client.query("UPDATE integrations SET next_sync_at = now() - interval '1 minute' WHERE id = $1", [
        t.integrations.b,
      ]);
      const firstTwo = await due(2);
      expect(new Set(firstTwo.map((row) => row.workspace_id))).toEqual(new Set([t.workspaces.a, t.workspaces.b]));
    } finally {
      await client.query("DELETE FROM integrations WHERE name LIKE 'Bulk %'");
      client.release();
    }
  });

  test("integrations_to_reseal lists rows sealed under another key than the current one", async () => {
    await ctx().admin.query(
      "UPDATE integrations SET credentials = '\\x00'::bytea, credentials_key_id = 'old' WHERE id = $1",
      [t.integrations.a],
    );
    await ctx().admin.query(
      "UPDATE integrations SET credentials = '\\x00'::bytea, credentials_key_id = 'current' WHERE id = $1",
      [t.integrations.b],
    );
    const rows = await asRole("northstar_worker", "SELECT * FROM app.integrations_to_reseal('current', 100)");
    expect(rows).toEqual([{ workspace_id: t.workspaces.a, integration_id: t.integrations.a }]);
  });

  test("only the worker may call them, and they are owned by the definer", async () => {
    await expect(asRole("northstar_app", "SELECT * FROM app.due_integrations(10)")).rejects.toMatchObject({
      code: "42501",
    });
    await expect(asRole("northstar_app", "SELECT * FROM app.integrations_to_reseal('x', 10)")).rejects.toMatchObject({
      code: "42501",
    });
    // The worker's login itself, outside any transaction and role.
    const login = new pg.Client({ connectionString: ctx().database.workerUrl });
    await login.connect();
    await expect(
      login.query("SELECT * FROM app.due_integrations(10)").finally(() => login.end()),
    ).rejects.toMatchObject({
      code: "42501",
    });
    const owners = await ctx().admin.query<{ proname: string; owner: string; secdef: boolean }>(
      `SELECT p.proname, pg_get_userbyid(p.proowner) AS owner, p.prosecdef AS secdef FROM pg_proc p
        WHERE p.proname IN ('due_integrations', 'integrations_to_reseal') ORDER BY 1`,
    );
    expect(owners.rows).toEqual([
      { proname: "due_integrations", owner: "northstar_definer", secdef: true },
      { proname: "integrations_to_reseal", owner: "northstar_definer", secdef: true },
    ]);
  });
});

describe("the job queue's role and schema", () => {
  test("schema pgboss belongs to northstar_queue, which owns nothing else and reads no application table", async () => {
    const owner = await ctx().admin.query<{ owner: string }>(
      "SELECT pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname = 'pgboss'",
    );
    expect(owner.rows).toEqual([{ owner: "northstar_queue" }]);
    const role = await ctx().admin.query(
      `SELECT rolsuper, rolbypassrls, rolcanlogin, rolcreatedb, rolcreaterole FROM pg_roles
        WHERE rolname = 'northstar_queue'`,
    );
    expect(role.rows).toEqual([
      { rolsuper: false, rolbypassrls: false, rolcanlogin: false, rolcreatedb: false, rolcreaterole: false },
    ]);
    const owned = await ctx().admin.query(
      `SELECT relname FROM pg_class
        WHERE relowner = 'northstar_queue'::regrole AND relnamespace = 'public'::regnamespace`,
    );
    expect(owned.rows).toEqual([]);
    await expect(asRole("northstar_queue", "SELECT count(*) FROM integrations")).rejects.toMatchObject({
      code: "42501",
    });
    await expect(asRole("northstar_app", "CREATE TABLE pgboss.smuggled (id int)")).rejects.toMatchObject({
      code: "42501",
    });
  });

  test("the test logins take the queue role at connection startup (queueConnectionUrl)", async () => {
    const client = new pg.Client({ connectionString: queueConnectionUrl(ctx().database.workerUrl) });
    await client.connect();
    try {
      const who = await client.query<{ current_user: string; session_user: string }>(
        "SELECT current_user, session_user",
      );
      expect(who.rows[0]).toEqual({ current_user: "northstar_queue", session_user: "northstar_test_worker" });
      await client.query("CREATE TABLE pgboss.probe (id int)");
      await client.query("DROP TABLE pgboss.probe");
    } finally {
      await client.end();
    }
  });
});
