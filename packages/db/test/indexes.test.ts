import pg from "pg";
import { beforeAll, describe, expect, test } from "vitest";
import type { RequestContext } from "../src/client.ts";
import { Prisma } from "../src/generated/prisma/client.ts";
import { kpiSeriesQuery, kpiSummariesQuery } from "../src/series.ts";
import { bulkLoad } from "../src/testing/bulk-load.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// The hot queries use the indexes meant for them, at a realistic volume (a million data points)
// and as the application runs them: the app role inside a workspace context, row-level security on.

const ctx = useTestDatabase();
const workspaces = 100;
const kpisPerWorkspace = 20;
const pointsPerKpi = 500; // hourly: 100 * 20 * 500 = 1,000,000 points
const goalsPerWorkspace = 50;
const integrationsPerWorkspace = 20;
const runsPerIntegration = 50;

interface Tenant {
  context: RequestContext & { workspaceId: string };
  kpiId: string;
  integrationId: string;
}
let tenant: Tenant;
let pointPartitions = new Set<string>();
let seriesIndexParts = new Set<string>();

/** The bulk load, then goals, integrations and sync runs in the same transaction (triggers still off). */
beforeAll(async () => {
  const client = await ctx().admin.connect();
  try {
    await client.query("BEGIN");
    // One KPI in ten archived; five categories.
    await bulkLoad(client, {
      prefix: "index",
      workspaces,
      kpisPerWorkspace,
      pointsPerKpi,
      archivedEvery: 10,
      categories: ["Revenue", "Growth", "Product", "Support", "Ops"],
    });
    await client.query(
      `INSERT INTO goals (workspace_id, title, status)
       SELECT md5('index-workspace-' || w)::uuid, 'Goal ' || g, (enum_range(NULL::"GoalStatus"))[1 + g % 6]
         FROM generate_series(1, $1::int) AS w, generate_series(1, $2::int) AS g`,
      [workspaces, goalsPerWorkspace],
    );
    // Most integrations synced a while ago and are due later; one in ten is due, a few are off.
    await client.query(
      `INSERT INTO integrations (workspace_id, provider, name, sync_status, next_sync_at)
       SELECT md5('index-workspace-' || w)::uuid, 'http-json', 'Feed ' || n,
              (CASE WHEN n % 10 = 0 THEN 'DISABLED' WHEN n % 10 = 1 THEN 'FAILED' ELSE 'SUCCEEDED' END)::"SyncStatus",
              CASE WHEN n % 10 = 0 THEN NULL ELSE now() + make_interval(mins => (w * 7 + n * 13) % 600 - 60) END
         FROM generate_series(1, $1::int) AS w, generate_series(1, $2::int) AS n`,
      [workspaces, integrationsPerWorkspace],
    );
    await client.query(
      `INSERT INTO sync_runs (workspace_id, integration_id, status, started_at, finished_at, points_written)
       SELECT i.workspace_id, i.id, 'SUCCEEDED', now() - make_interval(hours => r),
              now() - make_interval(hours => r) + interval '5 seconds', 10
         FROM integrations AS i, generate_series(1, $1::int) AS r`,
      [runsPerIntegration],
    );
    await client.query("COMMIT");
    await client.query("VACUUM ANALYZE");
    // kpi_data_points is partitioned by month: its scans are scans of the partitions that hold
    // points (an empty one, ahead, is rightly a Seq Scan of nothing), through the partitions' own
    // indexes of kpi_data_points_series_idx.
    const filled = await client.query<{ name: string }>(
      "SELECT DISTINCT p.tableoid::regclass::text AS name FROM kpi_data_points AS p",
    );
    pointPartitions = new Set(filled.rows.map((row) => row.name.replace(/^kpi_points\./, "")));
    const parts = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'kpi_data_points_series_idx'::regclass`,
    );
    seriesIndexParts = new Set(parts.rows.map((row) => row.name));
    const { rows } = await client.query<{
      user_id: string;
      workspace_id: string;
      kpi_id: string;
      integration_id: string;
    }>(
      `SELECT wu.user_id, wu.workspace_id,
              (SELECT k.id FROM kpis AS k WHERE k.workspace_id = wu.workspace_id ORDER BY k.name LIMIT 1) AS kpi_id,
              (SELECT i.id FROM integrations AS i WHERE i.workspace_id = wu.workspace_id
                ORDER BY i.name LIMIT 1) AS integration_id
         FROM workspace_users AS wu WHERE wu.workspace_id = md5('index-workspace-42')::uuid`,
    );
    const row = rows[0];
    if (!row) throw new Error("the load left no tenant to query as");
    tenant = {
      context: { userId: row.user_id, workspaceId: row.workspace_id },
      kpiId: row.kpi_id,
      integrationId: row.integration_id,
    };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
});

interface PlanNode {
  nodeType: string;
  relation?: string;
  index?: string;
  indexCond?: string;
}

function flatten(node: unknown, into: PlanNode[] = []): PlanNode[] {
  if (typeof node !== "object" || node === null) return into;
  const fields = node as Record<string, unknown>;
  if (typeof fields["Node Type"] === "string") {
    into.push({
      nodeType: fields["Node Type"],
      ...(typeof fields["Relation Name"] === "string" ? { relation: fields["Relation Name"] } : {}),
      ...(typeof fields["Index Name"] === "string" ? { index: fields["Index Name"] } : {}),
      ...(typeof fields["Index Cond"] === "string" ? { indexCond: fields["Index Cond"] } : {}),
    });
  }
  for (const child of Object.values(fields)) {
    if (Array.isArray(child)) for (const item of child) flatten(item, into);
    else if (typeof child === "object") flatten(child, into);
  }
  return into;
}

/**
 * The plan as the app role gets it in the tenant's context. `generic`: the plan a prepared
 * statement settles on (the reader prepares its statements), planned without the values.
 */
async function plan(query: Prisma.Sql, options: { generic?: boolean; as?: "app" | "owner" } = {}): Promise<PlanNode[]> {
  if (options.as === "owner") {
    const { rows } = await ctx().admin.query<{ "QUERY PLAN": unknown }>({
      text: `EXPLAIN (FORMAT JSON) ${query.text}`,
      values: query.values,
    });
    return flatten(rows[0]?.["QUERY PLAN"]);
  }
  if (!options.generic) {
    const rows = await ctx().db.withContext(tenant.context, (tx) =>
      tx.$queryRaw<{ "QUERY PLAN": unknown }[]>(Prisma.sql`EXPLAIN (FORMAT JSON) ${query}`),
    );
    return flatten(rows[0]?.["QUERY PLAN"]);
  }
  // PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN): prepare, force the generic plan, explain EXECUTE,
  // in the same context shape as withContext's, on a connection of the test's own.
  const client = new pg.Client({ connectionString: ctx().database.hostUrl });
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query(
      `SELECT set_config('role', 'northstar_app', true), set_config('app.user_id', $1, true),
              set_config('app.workspace_id', $2, true)`,
      [tenant.context.userId, tenant.context.workspaceId],
    );
    await client.query(`PREPARE probe AS ${query.text}`);
    await client.query("SET LOCAL plan_cache_mode = force_generic_plan");
    // EXECUTE inside EXPLAIN takes no bind parameters: the test's own values, as literals.
    const literal = (value: unknown) => pg.escapeLiteral(value instanceof Date ? value.toISOString() : String(value));
    const { rows } = await client.query<{ "QUERY PLAN": unknown }>(
      `EXPLAIN (FORMAT JSON) EXECUTE probe(${query.values.map(literal).join(", ")})`,
    );
    return flatten(rows[0]?.["QUERY PLAN"]);
  } finally {
    await client.end();
  }
}

function scansOf(nodes: PlanNode[], relation: string): PlanNode[] {
  if (relation === "kpi_data_points")
    return nodes.filter((node) => node.relation !== undefined && pointPartitions.has(node.relation));
  return nodes.filter((node) => node.relation === relation);
}

const indexScans = ["Index Scan", "Index Only Scan", "Bitmap Heap Scan"];

/** Every scan of `relation` goes through `index` (a bitmap heap scan through its bitmap index scan). */
function expectIndex(nodes: PlanNode[], relation: string, index: string, nodeTypes: string[] = indexScans): void {
  const scans = scansOf(nodes, relation);
  expect(scans.length, `no scan of ${relation} in ${JSON.stringify(nodes)}`).toBeGreaterThan(0);
  for (const scan of scans) {
    expect(nodeTypes, JSON.stringify(nodes)).toContain(scan.nodeType);
    const used =
      scan.nodeType === "Bitmap Heap Scan"
        ? nodes.find((node) => node.nodeType === "Bitmap Index Scan")?.index
        : scan.index;
    // A partition's part of kpi_data_points_series_idx stands for it.
    const named = used !== undefined && seriesIndexParts.has(used) ? "kpi_data_points_series_idx" : used;
    expect(named, JSON.stringify(nodes)).toBe(index);
  }
}

const now = () => new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);

describe("at a million data points, with row-level security on", () => {
  test("the volume is there", async () => {
    const { rows } = await ctx().admin.query<{ points: string }>("SELECT count(*) AS points FROM kpi_data_points");
    expect(Number(rows[0]?.points)).toBe(workspaces * kpisPerWorkspace * pointsPerKpi);
  });

  const seriesQuery = () => {
    const to = now();
    return kpiSeriesQuery({ kpiId: tenant.kpiId, from: new Date(to.getTime() - 7 * 86_400_000), to, buckets: 7 });
  };

  // With the statistics of migration 20261125000500 (kpi_id decides workspace_id) the planner no
  // longer multiplies RLS's workspace_id selectivity into the estimate; without them PostgreSQL 17
  // read the series through the unique index, one heap page per point.
  test.each([false, true])(
    "a KPI's series in a time range is an index-only scan of kpi_data_points_series_idx (generic: %s)",
    async (generic) => {
      const nodes = await plan(seriesQuery(), { generic });
      expectIndex(nodes, "kpi_data_points", "kpi_data_points_series_idx", ["Index Only Scan"]);
      for (const scan of scansOf(nodes, "kpi_data_points")) {
        expect(scan.indexCond).toMatch(/kpi_id = .*"?timestamp"? >= .*"?timestamp"? </);
      }
      // Days and hours come from the rollups, by their primary keys (RLS supplies workspace_id).
      expectIndex(nodes, "kpi_rollups_daily", "kpi_rollups_daily_pkey");
      expectIndex(nodes, "kpi_rollups_hourly", "kpi_rollups_hourly_pkey");
    },
  );

  test("the active KPIs of a workspace in a category use kpis_workspace_id_is_active_category_idx", async () => {
    const query = Prisma.sql`SELECT k.id, k.name FROM kpis AS k
      WHERE k.workspace_id = ${tenant.context.workspaceId}::uuid AND k.is_active AND k.category = ${"Product"}
      ORDER BY k.name`;
    expectIndex(await plan(query), "kpis", "kpis_workspace_id_is_active_category_idx");
  });

  test.each([false, true])(
    "the KPI list of a category: that index, then one series-index probe per KPI (generic: %s)",
    async (generic) => {
      const nodes = await plan(
        kpiSummariesQuery({ workspaceId: tenant.context.workspaceId, period: "week", category: "Product" }),
        { generic },
      );
      expectIndex(nodes, "kpis", "kpis_workspace_id_is_active_category_idx");
      expectIndex(nodes, "kpi_data_points", "kpi_data_points_series_idx", ["Index Only Scan"]);
    },
  );

  test("the KPI list of a whole workspace probes kpi_data_points_series_idx too", async () => {
    const nodes = await plan(kpiSummariesQuery({ workspaceId: tenant.context.workspaceId, period: "week" }));
    const kpiScans = scansOf(nodes, "kpis");
    expect(kpiScans.length).toBeGreaterThan(0);
    for (const scan of kpiScans) expect(indexScans, JSON.stringify(nodes)).toContain(scan.nodeType);
    expectIndex(nodes, "kpi_data_points", "kpi_data_points_series_idx", ["Index Only Scan"]);
    expectIndex(nodes, "kpi_rollups_daily", "kpi_rollups_daily_pkey");
    expectIndex(nodes, "kpi_rollups_hourly", "kpi_rollups_hourly_pkey");
  });

  test("the goals of a workspace in a status use goals_workspace_id_status_idx", async () => {
    const query = Prisma.sql`SELECT g.id, g.title FROM goals AS g
      WHERE g.workspace_id = ${tenant.context.workspaceId}::uuid AND g.status = ${"AT_RISK"}::"GoalStatus"`;
    expectIndex(await plan(query), "goals", "goals_workspace_id_status_idx");
  });

  test("the newest sync runs of an integration use sync_runs_workspace_id_integration_id_started_at_idx", async () => {
    const query = Prisma.sql`SELECT r.id, r.status, r.started_at FROM sync_runs AS r
      WHERE r.workspace_id = ${tenant.context.workspaceId}::uuid AND r.integration_id = ${tenant.integrationId}::uuid
      ORDER BY r.started_at DESC LIMIT 20`;
    expectIndex(await plan(query), "sync_runs", "sync_runs_workspace_id_integration_id_started_at_idx", ["Index Scan"]);
  });

  // The predicate of app.due_integrations() (migration 20261125000600_integration_sync).
  const due = Prisma.sql`SELECT i.id, i.workspace_id FROM integrations AS i
    WHERE i.sync_status <> 'DISABLED'::"SyncStatus" AND i.auth_failed_at IS NULL AND i.next_sync_at <= now()
      AND (i.lease_expires_at IS NULL OR i.lease_expires_at <= now())
    ORDER BY i.next_sync_at LIMIT 100`;

  test("the dispatcher's integrations due for sync, across workspaces, use integrations_due_idx", async () => {
    // Across workspaces is beyond any workspace context: the dispatcher reads as the owner.
    expectIndex(await plan(due, { as: "owner" }), "integrations", "integrations_due_idx");
  });

  test("integrations due for sync within the context workspace never scan the whole table", async () => {
    const nodes = await plan(due);
    for (const scan of scansOf(nodes, "integrations")) {
      expect(indexScans).toContain(scan.nodeType);
    }
    expect(scansOf(nodes, "integrations").length).toBeGreaterThan(0);
  });
});
