import pg from "pg";
import type { RequestContext } from "../src/client.ts";
import { bulkLoad } from "../src/testing/bulk-load.ts";

// The benchmark's data: hourly points for every KPI of every workspace, each workspace with its owner.

export const workspaces = 50;
export const kpisPerWorkspace = 20;
export const days = 91; // 50 * 20 * 91 * 24 = 2,184,000 points

/** The load, committed and vacuumed so that index-only scans need no heap visits. */
export async function load(admin: pg.Pool): Promise<number> {
  const client = await admin.connect();
  try {
    await client.query("BEGIN");
    const points = await bulkLoad(client, { prefix: "bench", workspaces, kpisPerWorkspace, pointsPerKpi: days * 24 });
    await client.query("COMMIT");
    await client.query("VACUUM ANALYZE");
    return points;
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
