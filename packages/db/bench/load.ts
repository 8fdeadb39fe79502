import pg from "pg";
import type { RequestContext } from "../src/client.ts";
import { bulkLoad } from "../src/testing/bulk-load.ts";

// The benchmark's data: hourly points for every KPI of every workspace, each workspace with its
// owner; and a few workspaces with a year of history for the rollup reads.

export const workspaces = 50;
export const kpisPerWorkspace = 20;
export const days = 91; // 50 * 20 * 91 * 24 = 2,184,000 points

export const yearWorkspaces = 4;
export const yearKpisPerWorkspace = 10; // 4 * 10 * 366 * 24 = 351,360 points

const prefix = "bench";
const yearPrefix = "year";

/** The loads, committed, vacuumed (so that index-only scans need no heap visits) and checkpointed. */
export async function load(admin: pg.Pool): Promise<number> {
  const client = await admin.connect();
  try {
    await client.query("BEGIN");
    let points = await bulkLoad(client, { prefix, workspaces, kpisPerWorkspace, pointsPerKpi: days * 24 });
    points += await bulkLoad(client, {
      prefix: yearPrefix,
      workspaces: yearWorkspaces,
      kpisPerWorkspace: yearKpisPerWorkspace,
      pointsPerKpi: 366 * 24,
    });
    await client.query("COMMIT");
    await client.query("VACUUM ANALYZE");
    // The load's writes are still being flushed (dirty pages, the next checkpoint): flushed now,
    // so that the reads are not measured against that disk work (as in apps/web's bench).
    await client.query("CHECKPOINT");
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

async function tenantsOf(admin: pg.Pool, loadPrefix: string, count: number): Promise<Tenant[]> {
  const { rows } = await admin.query<{ workspace_id: string; user_id: string; kpi_ids: string[] }>(
    `SELECT wu.workspace_id, wu.user_id, array_agg(k.id::text ORDER BY k.name) AS kpi_ids
       FROM workspace_users AS wu JOIN kpis AS k ON k.workspace_id = wu.workspace_id
      WHERE wu.workspace_id IN (SELECT md5($1::text || '-workspace-' || w)::uuid FROM generate_series(1, $2::int) AS w)
      GROUP BY 1, 2 ORDER BY 1`,
    [loadPrefix, count],
  );
  return rows.map((row) => ({ context: { userId: row.user_id, workspaceId: row.workspace_id }, kpiIds: row.kpi_ids }));
}

/** The workspaces of the hot reads (91 days of history). */
export function tenants(admin: pg.Pool): Promise<Tenant[]> {
  return tenantsOf(admin, prefix, workspaces);
}

/** The workspaces with a year of history (time zone UTC). */
export function yearTenants(admin: pg.Pool): Promise<Tenant[]> {
  return tenantsOf(admin, yearPrefix, yearWorkspaces);
}
