import pg from "pg";
import type { RequestContext } from "../src/client.ts";

// The benchmark's data: hourly points for every KPI of every workspace, each workspace with its owner.

export const workspaces = 50;
export const kpisPerWorkspace = 20;
export const days = 91; // 50 * 20 * 91 * 24 = 2,184,000 points

/**
 * Hourly points for every KPI, as an operator's bulk load would: triggers and foreign-key checks
 * off (session_replication_role), the secondary indexes rebuilt afterwards, current values set
 * in one pass, then VACUUM so that index-only scans need no heap visits.
 */
export async function load(admin: pg.Pool): Promise<number> {
  const client = await admin.connect();
  try {
    await client.query("BEGIN");
    await client.query("SET LOCAL session_replication_role = replica");
    await client.query("SET LOCAL maintenance_work_mem = '512MB'");
    await client.query(
      `INSERT INTO users (id, email, name, provider, provider_account_id)
       SELECT md5('bench-user-' || w)::uuid, 'owner-' || w || '@bench.example.com', 'Owner ' || w, 'bench', 'owner-' || w
         FROM generate_series(1, $1::int) AS w`,
      [workspaces],
    );
    await client.query(
      `INSERT INTO workspaces (id, name, slug)
       SELECT md5('bench-workspace-' || w)::uuid, 'Workspace ' || w, 'bench-' || w FROM generate_series(1, $1::int) AS w`,
      [workspaces],
    );
    await client.query(
      `INSERT INTO workspace_users (workspace_id, user_id, role)
       SELECT md5('bench-workspace-' || w)::uuid, md5('bench-user-' || w)::uuid, 'OWNER' FROM generate_series(1, $1::int) AS w`,
      [workspaces],
    );
    await client.query(
      `INSERT INTO kpis (workspace_id, name, category, direction, target_value)
       SELECT md5('bench-workspace-' || w)::uuid, 'KPI ' || k, (ARRAY['Revenue', 'Growth', 'Product', 'Support'])[1 + k % 4],
              (CASE WHEN k % 4 = 3 THEN 'LOWER_IS_BETTER' ELSE 'HIGHER_IS_BETTER' END)::"KpiDirection", 500 + 10 * k
         FROM generate_series(1, $1::int) AS w, generate_series(1, $2::int) AS k`,
      [workspaces, kpisPerWorkspace],
    );
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition
         FROM pg_index AS x JOIN pg_class AS i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'kpi_data_points'::regclass AND NOT x.indisprimary`,
    );
    for (const index of indexes) await client.query(`DROP INDEX ${pg.escapeIdentifier(index.name)}`);
    // Time-major order, as points arrive: a KPI's points spread over the whole heap.
    const { rowCount } = await client.query(
      `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp")
       SELECT k.workspace_id, k.id, round((500 + 300 * sin(extract(epoch FROM t) / 86400 + k.target_value) + 50 * random())::numeric, 2), t
         FROM generate_series(date_trunc('hour', now()) - make_interval(days => $1::int) + interval '1 hour', date_trunc('hour', now()), interval '1 hour') AS t,
              kpis AS k
        ORDER BY t`,
      [days],
    );
    for (const index of indexes) await client.query(index.definition);
    await client.query(
      `UPDATE kpis AS k SET (current_value, current_value_at) = (
         SELECT p.value, p."timestamp" FROM kpi_data_points AS p WHERE p.kpi_id = k.id ORDER BY p."timestamp" DESC LIMIT 1)`,
    );
    await client.query("COMMIT");
    await client.query("VACUUM ANALYZE");
    return rowCount ?? 0;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface Tenant {
  context: RequestContext & { workspaceId: string };
  kpiIds: string[];
}

export async function tenants(admin: pg.Pool): Promise<Tenant[]> {
  const { rows } = await admin.query<{ workspace_id: string; user_id: string; kpi_ids: string[] }>(
    `SELECT wu.workspace_id, wu.user_id, array_agg(k.id::text ORDER BY k.name) AS kpi_ids
       FROM workspace_users AS wu JOIN kpis AS k ON k.workspace_id = wu.workspace_id
      GROUP BY 1, 2 ORDER BY 1`,
  );
  return rows.map((row) => ({ context: { userId: row.user_id, workspaceId: row.workspace_id }, kpiIds: row.kpi_ids }));
}

