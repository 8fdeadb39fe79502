import type pg from "pg";
import { describe, expect, test } from "vitest";
import type { ScopedDb } from "../src/client.ts";
import { DatabaseError } from "../src/errors.ts";
import {
  seed,
  seededIntegrationIds,
  seededUserIds,
  seededWorkspaceIds,
  type SeededUser,
  type SeedSummary,
} from "../src/seed.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// The development seed: idempotent to the byte, consistent, and visible through row-level
// security only to the members of each workspace.

const ctx = useTestDatabase();
// A fixed day, so the test never straddles a midnight.
const now = new Date("2026-11-25T15:30:00Z");

interface TableSnapshot {
  rows: number;
  /** Checksum of every row's content. */
  content: string;
  /** Checksum of the row versions: changes when a row is rewritten, even with the same content. */
  versions: string;
}

async function snapshot(admin: pg.Pool): Promise<Record<string, TableSnapshot>> {
  const tables = await admin.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1`,
  );
  const result: Record<string, TableSnapshot> = {};
  for (const { name } of tables.rows) {
    const { rows } = await admin.query<{ rows: string; content: string | null; versions: string | null }>(
      `SELECT count(*) AS rows, md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS content,
              md5(string_agg(t.xmin::text || t.ctid::text, ',' ORDER BY t::text)) AS versions
         FROM "${name}" AS t`,
    );
    const row = rows[0];
    result[name] = { rows: Number(row?.rows), content: row?.content ?? "", versions: row?.versions ?? "" };
  }
  return result;
}

async function kpisWithStaleCurrentValue(admin: pg.Pool): Promise<string[]> {
  const { rows } = await admin.query<{ name: string }>(
    `SELECT k.name FROM kpis AS k
       LEFT JOIN LATERAL (
         SELECT p.value, p."timestamp" FROM kpi_data_points AS p
          WHERE p.workspace_id = k.workspace_id AND p.kpi_id = k.id
          ORDER BY p."timestamp" DESC, p.source DESC LIMIT 1) AS newest ON true
      WHERE (k.current_value, k.current_value_at) IS DISTINCT FROM (newest.value, newest."timestamp")`,
  );
  return rows.map((row) => row.name);
}

let first: SeedSummary;

describe("seeding", () => {
  test("a first run writes every row it reports", async () => {
    first = await seed(ctx().database.adminUrl, { now });
    const { written, ...counts } = first;
    expect(written).toBe(Object.values(counts).reduce((sum, n) => sum + n, 0));
    expect(first.users).toBeGreaterThanOrEqual(3);
    expect(first.workspaces).toBe(2);
    expect(first.kpis).toBeGreaterThanOrEqual(10);
    const truth = await snapshot(ctx().admin);
    expect(truth.users?.rows).toBe(first.users);
    expect(truth.kpi_data_points?.rows).toBe(first.dataPoints);
    expect(truth.goal_kpis?.rows).toBe(first.goalKpis);
  });

  test("a second run changes nothing: same rows, same content, not even rewritten", async () => {
    const before = await snapshot(ctx().admin);
    const second = await seed(ctx().database.adminUrl, { now });
    expect(second).toEqual({ ...first, written: 0 });
    expect(await snapshot(ctx().admin)).toEqual(before);
  });
});

describe("the seeded data", () => {
  test("every workspace has an owner, every role is present, memberships overlap", async () => {
    const { rows } = await ctx().admin.query<{ workspace_id: string; user_id: string; role: string }>(
      "SELECT workspace_id, user_id, role::text FROM workspace_users",
    );
    for (const workspaceId of Object.values(seededWorkspaceIds)) {
      expect(rows.some((row) => row.workspace_id === workspaceId && row.role === "OWNER")).toBe(true);
    }
    expect(new Set(rows.map((row) => row.role))).toEqual(new Set(["OWNER", "ADMIN", "MEMBER", "VIEWER"]));
    const workspacesOf = (user: SeededUser) => rows.filter((row) => row.user_id === seededUserIds[user]).length;
    expect(workspacesOf("ada")).toBe(2);
    expect(workspacesOf("grace")).toBe(1);
    expect(workspacesOf("linus")).toBe(1);
  });

  test("each KPI's current value is its newest point, over 90 days of history; synced KPIs wait for their sync", async () => {
    expect(await kpisWithStaleCurrentValue(ctx().admin)).toEqual([]);
    const { rows } = await ctx().admin.query<{ oldest: Date; newest: Date; points: string }>(
      `SELECT min("timestamp") AS oldest, max("timestamp") AS newest, count(*) AS points
         FROM kpi_data_points GROUP BY kpi_id`,
    );
    // A KPI an integration feeds gets its history from the demo source on the first sync, not from the seed.
    const { rows: empty } = await ctx().admin.query<{ mapped: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM integration_metrics AS m WHERE m.kpi_id = k.id) AS mapped
         FROM kpis AS k WHERE NOT EXISTS (SELECT 1 FROM kpi_data_points AS p WHERE p.kpi_id = k.id)`,
    );
    expect(empty.map((row) => row.mapped)).toEqual(Array.from({ length: first.integrationMetrics }, () => true));
    expect(rows).toHaveLength(first.kpis - first.integrationMetrics);
    const midnight = Date.parse("2026-11-25T00:00:00Z");
    for (const row of rows) {
      expect(row.newest.getTime()).toBeLessThanOrEqual(midnight);
      expect(row.oldest.getTime()).toBeGreaterThanOrEqual(midnight - 90 * 86_400_000);
      expect(Number(row.points)).toBeGreaterThanOrEqual(60);
    }
  });

  test("KPIs and subscriptions cover the states the app must show", async () => {
    const one = async (sql: string) => (await ctx().admin.query<{ values: string[] }>(sql)).rows[0]?.values;
    expect(await one("SELECT array_agg(DISTINCT category ORDER BY category) AS values FROM kpis")).toEqual(
      expect.arrayContaining(["Growth", "Product", "Revenue", "Support"]),
    );
    expect(await one("SELECT array_agg(DISTINCT direction::text) AS values FROM kpis")).toHaveLength(2);
    // Counts and amounts add up, rates average, levels keep their last value.
    expect(
      await one(`SELECT array_agg(name || ': ' || aggregation::text ORDER BY name) AS values FROM kpis
                  WHERE name IN ('Deploys', 'New signups', 'Monthly recurring revenue', 'Churn rate', 'Open support tickets')`),
    ).toEqual([
      "Churn rate: AVERAGE",
      "Deploys: SUM",
      "Monthly recurring revenue: LAST",
      "New signups: SUM",
      "Open support tickets: LAST",
    ]);
    expect(await one("SELECT array_agg(DISTINCT plan::text ORDER BY plan::text) AS values FROM subscriptions")).toEqual(
      ["FREE", "PRO"],
    );
  });

  test("every integration is connected to the demo source: sealed credentials, due, no error, no made-up runs", async () => {
    const { rows } = await ctx().admin.query<{
      id: string;
      provider: string;
      key_id: string | null;
      sealed: boolean;
      status: string;
      due: boolean;
      error: string | null;
      metrics: string;
    }>(
      `SELECT i.id, i.provider, i.credentials_key_id AS key_id, i.credentials IS NOT NULL AS sealed,
              i.sync_status::text AS status, i.next_sync_at <= $1 AS due, i.last_error_code AS error,
              (SELECT count(*) FROM integration_metrics AS m WHERE m.integration_id = i.id) AS metrics
         FROM integrations AS i ORDER BY i.id`,
      [now],
    );
    expect(rows.map((row) => row.id)).toEqual(Object.values(seededIntegrationIds).sort());
    for (const row of rows) {
      expect(row).toMatchObject({
        key_id: "dev-box",
        sealed: true,
        status: "IDLE",
        due: true,
        error: null,
        metrics: "1",
      });
      expect(["http-json", "csv"]).toContain(row.provider);
    }
    const { rows: configs } = await ctx().admin.query<{ config: Record<string, string> }>(
      "SELECT config FROM integrations WHERE provider = 'http-json'",
    );
    for (const { config } of configs) expect(config.url).toMatch(/^http:\/\/127\.0\.0\.1:9464\/demo\//);
    expect(Number((await ctx().admin.query<{ n: string }>("SELECT count(*) AS n FROM sync_runs")).rows[0]?.n)).toBe(0);
  });
});

describe("row-level security over the seed", () => {
  type Counts = Record<"kpis" | "dataPoints" | "goals" | "goalKpis" | "integrations" | "syncRuns", number>;
  const none: Counts = { kpis: 0, dataPoints: 0, goals: 0, goalKpis: 0, integrations: 0, syncRuns: 0 };

  const as = <T>(
    user: SeededUser,
    workspace: keyof typeof seededWorkspaceIds | null,
    work: (db: ScopedDb) => Promise<T>,
  ) =>
    ctx().db.withContext(
      { userId: seededUserIds[user], workspaceId: workspace ? seededWorkspaceIds[workspace] : null },
      work,
    );

  const visible = async (db: ScopedDb): Promise<Counts> => ({
    kpis: await db.kpi.count(),
    dataPoints: await db.kpiDataPoint.count(),
    goals: await db.goal.count(),
    goalKpis: await db.goalKpi.count(),
    integrations: await db.integration.count(),
    syncRuns: await db.syncRun.count(),
  });

  async function truth(workspace: keyof typeof seededWorkspaceIds): Promise<Counts> {
    const count = async (table: string) =>
      Number(
        (
          await ctx().admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE workspace_id = $1`, [
            seededWorkspaceIds[workspace],
          ])
        ).rows[0]?.n,
      );
    return {
      kpis: await count("kpis"),
      dataPoints: await count("kpi_data_points"),
      goals: await count("goals"),
      goalKpis: await count("goal_kpis"),
      integrations: await count("integrations"),
      syncRuns: await count("sync_runs"),
    };
  }

  test("members of a workspace see all of its rows, whatever their role", async () => {
    const acme = await truth("acme");
    const globex = await truth("globex");
    expect(acme.kpis).toBeGreaterThan(0);
    expect(globex.dataPoints).toBeGreaterThan(0);
    for (const user of ["ada", "grace", "alan", "katherine"] as const)
      expect(await as(user, "acme", visible)).toEqual(acme);
    for (const user of ["linus", "margaret", "ada"] as const) expect(await as(user, "globex", visible)).toEqual(globex);
  });

  test("anyone else sees nothing of it", async () => {
    for (const user of ["grace", "alan", "katherine", "barbara"] as const)
      expect(await as(user, "globex", visible)).toEqual(none);
    for (const user of ["linus", "margaret", "barbara"] as const) expect(await as(user, "acme", visible)).toEqual(none);
  });

  test("workspaces, fellow members and subscriptions are each user's own", async () => {
    const slugs = (user: SeededUser) =>
      as(user, null, async (db) => (await db.workspace.findMany({ orderBy: { slug: "asc" } })).map((w) => w.slug));
    expect(await slugs("ada")).toEqual(["acme", "globex"]);
    expect(await slugs("katherine")).toEqual(["acme"]);
    expect(await slugs("linus")).toEqual(["globex"]);
    expect(await slugs("barbara")).toEqual([]);
    const people = (user: SeededUser, workspace: "acme" | "globex") =>
      as(user, workspace, async (db) => (await db.user.findMany({ orderBy: { email: "asc" } })).map((u) => u.email));
    expect(await people("linus", "globex")).toEqual(["ada@example.com", "linus@example.com", "margaret@example.com"]);
    expect(await people("linus", "acme")).toEqual(["linus@example.com"]);
    const plans = (user: SeededUser) =>
      as(user, null, async (db) => (await db.subscription.findMany()).map((s) => s.plan));
    expect(await plans("ada")).toEqual(["PRO"]);
    expect(await plans("barbara")).toEqual(["FREE"]);
    expect(await plans("katherine")).toEqual([]);
  });

  test("a viewer reads the seed but cannot add to it", async () => {
    const kpi = await as("katherine", "acme", (db) =>
      db.kpi.findFirstOrThrow({ where: { isActive: true }, select: { id: true } }),
    );
    const error: unknown = await as("katherine", "acme", (db) =>
      db.kpiDataPoint.create({
        data: { workspaceId: seededWorkspaceIds.acme, kpiId: kpi.id, value: 1, timestamp: now },
      }),
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatabaseError);
    expect(error instanceof DatabaseError && error.kind).toBe("permission_denied");
  });
});

describe("seeding on a later day", () => {
  test("slides the 90-day window, keeps the invariants, then settles", async () => {
    const tomorrow = new Date(now.getTime() + 86_400_000);
    const slid = await seed(ctx().database.adminUrl, { now: tomorrow });
    expect(slid.written).toBeGreaterThan(0);
    expect(slid.dataPoints).toBe(first.dataPoints);
    const { rows } = await ctx().admin.query<{ n: string; oldest: Date }>(
      `SELECT count(*) AS n, min("timestamp") AS oldest FROM kpi_data_points`,
    );
    expect(Number(rows[0]?.n)).toBe(first.dataPoints);
    expect(rows[0]?.oldest.getTime()).toBeGreaterThan(Date.parse("2026-11-26T00:00:00Z") - 90 * 86_400_000);
    expect(await kpisWithStaleCurrentValue(ctx().admin)).toEqual([]);
    expect((await seed(ctx().database.adminUrl, { now: tomorrow })).written).toBe(0);
  });
});
