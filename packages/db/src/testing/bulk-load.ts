import pg from "pg";

export interface BulkShape {
  /** Told apart by it: ids md5('<prefix>-user-<w>') and md5('<prefix>-workspace-<w>'), slugs, e-mail domains. */
  prefix: string;
  workspaces: number;
  kpisPerWorkspace: number;
  /** Hourly, up to the current hour. */
  pointsPerKpi: number;
  /** Every n-th KPI of a workspace archived; none without it. */
  archivedEvery?: number;
  categories?: string[];
}

const defaultCategories = ["Revenue", "Growth", "Product", "Support"];

// In every statement $1 is the prefix and w runs over the workspaces.
const userId = "md5($1::text || '-user-' || w)::uuid";
const workspaceId = "md5($1::text || '-workspace-' || w)::uuid";

/**
 * Workspaces with their owners and KPIs, and hourly points for every KPI, as an operator's bulk
 * load would: triggers and foreign-key checks off (session_replication_role), the months'
 * partitions created first, the secondary indexes of kpi_data_points rebuilt afterwards, current values and rollups set in one pass each. Runs in the
 * caller's open transaction, whose settings it changes: the caller commits, then runs VACUUM
 * ANALYZE so that index-only scans need no heap visits. Returns the number of points.
 */
export async function bulkLoad(client: pg.ClientBase, shape: BulkShape): Promise<number> {
  const { prefix, workspaces } = shape;
  const ours = `SELECT ${workspaceId} FROM generate_series(1, $2::int) AS w`;
  await client.query("SET LOCAL session_replication_role = replica");
  await client.query("SET LOCAL maintenance_work_mem = '512MB'");
  await client.query(
    `INSERT INTO users (id, email, name, provider, provider_account_id)
     SELECT ${userId}, 'owner-' || w || '@' || $1::text || '.example.com', 'Owner ' || w, $1::text, 'owner-' || w
       FROM generate_series(1, $2::int) AS w`,
    [prefix, workspaces],
  );
  await client.query(
    `INSERT INTO workspaces (id, name, slug)
     SELECT ${workspaceId}, 'Workspace ' || w, $1::text || '-' || w FROM generate_series(1, $2::int) AS w`,
    [prefix, workspaces],
  );
  await client.query(
    `INSERT INTO workspace_users (workspace_id, user_id, role)
     SELECT ${workspaceId}, ${userId}, 'OWNER' FROM generate_series(1, $2::int) AS w`,
    [prefix, workspaces],
  );
  // Without archivedEvery ($5 null) the test is null: every KPI active.
  await client.query(
    `INSERT INTO kpis (workspace_id, name, category, direction, target_value, is_active, archived_at)
     SELECT ${workspaceId}, 'KPI ' || k, ($4::text[])[1 + k % cardinality($4::text[])],
            (CASE WHEN k % 4 = 3 THEN 'LOWER_IS_BETTER' ELSE 'HIGHER_IS_BETTER' END)::"KpiDirection", 500 + 10 * k,
            (k % $5::int = 0) IS NOT TRUE, CASE WHEN k % $5::int = 0 THEN now() END
       FROM generate_series(1, $2::int) AS w, generate_series(1, $3::int) AS k`,
    [prefix, workspaces, shape.kpisPerWorkspace, shape.categories ?? defaultCategories, shape.archivedEvery ?? null],
  );
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
       FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid
      WHERE x.indrelid = 'kpi_data_points'::regclass AND NOT x.indisprimary`,
  );
  // The months of the points, created before they arrive (else they land in the default partition).
  await client.query(
    `SELECT app_private.kpi_points_create_months(date_trunc('hour', now()) - make_interval(hours => $1::int - 1), now())`,
    [shape.pointsPerKpi],
  );
  for (const index of indexes) await client.query(`DROP INDEX ${pg.escapeIdentifier(index.name)}`);
  // Time-major order, as points arrive: a KPI's points spread over the whole heap.
  const { rowCount } = await client.query(
    `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp")
     SELECT k.workspace_id, k.id,
            round((500 + 300 * sin(extract(epoch FROM t) / 86400 + k.target_value) + 50 * random())::numeric, 2), t
       FROM generate_series(date_trunc('hour', now()) - make_interval(hours => $3::int - 1), date_trunc('hour', now()),
                            interval '1 hour') AS t,
            kpis AS k
      WHERE k.workspace_id IN (${ours})
      ORDER BY t`,
    [prefix, workspaces, shape.pointsPerKpi],
  );
  // The table is partitioned: its indexes' definitions say ON ONLY (the parent alone); recreated
  // without it, each builds on every partition too.
  for (const index of indexes) await client.query(index.definition.replace(" ON ONLY ", " ON "));
  await client.query(
    `UPDATE kpis AS k SET (current_value, current_value_at) = (
       SELECT p.value, p."timestamp" FROM kpi_data_points AS p
        WHERE p.kpi_id = k.id ORDER BY p."timestamp" DESC LIMIT 1)
      WHERE k.workspace_id IN (${ours})`,
    [prefix, workspaces],
  );
  // The rollup triggers were off too: the rollups are computed from the loaded points (src/rollups.ts).
  await client.query(`SELECT app_private.kpi_rollups_rebuild(w, NULL, true) FROM (${ours}) AS o(w)`, [
    prefix,
    workspaces,
  ]);
  return rowCount ?? 0;
}
