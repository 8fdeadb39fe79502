import { seed } from "@northstar/db/seed";
import { expect, test } from "vitest";
import { callerFor, signIn, useApiDatabase } from "./support.ts";

// Deleting a workspace leaves nothing of it behind: every table with a workspace_id is counted
// after the OWNER deletes the seeded workspace (KPIs with history, goals, integrations with
// sealed credentials, mappings, memberships, invitations), and the other workspace keeps every row.

const ctx = useApiDatabase();
// The development seed's ids (packages/db/src/seed.ts): Ada owns Acme; Globex is someone else's.
const acme = "5eed0002-0000-4000-8000-000000000001";
const globex = "5eed0002-0000-4000-8000-000000000002";
const ada = "5eed0001-0000-4000-8000-000000000001";

/** Rows per table that has a workspace_id, for one workspace (read as the operator, past RLS). */
async function rowsOf(workspaceId: string): Promise<Record<string, number>> {
  const tables = await ctx().admin.query<{ table: string }>(
    `SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'workspace_id')
      ORDER BY 1`,
  );
  const counts: Record<string, number> = {};
  for (const { table } of tables.rows) {
    const { rows } = await ctx().admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${table}" WHERE workspace_id = $1`,
      [workspaceId],
    );
    counts[table] = rows[0]?.n ?? 0;
  }
  const root = await ctx().admin.query("SELECT 1 FROM workspaces WHERE id = $1", [workspaceId]);
  counts.workspaces = root.rowCount ?? 0;
  return counts;
}

test("deleting a workspace leaves none of its rows in any table; the other workspace keeps all of its own", async () => {
  await seed(ctx().database.adminUrl);
  const before = await rowsOf(acme);
  // The seed fills every kind of row, so an empty count afterwards means something.
  for (const table of ["kpis", "kpi_data_points", "goals", "goal_kpis", "integrations", "workspace_users"])
    expect(before[table], table).toBeGreaterThan(0);
  const other = await rowsOf(globex);

  const owner = callerFor(ctx().db, await signIn(ctx().db, ada));
  const { slug } = await owner.workspace.get({ workspaceId: acme });
  await owner.workspace.delete({ workspaceId: acme, confirmSlug: slug });

  const after = await rowsOf(acme);
  expect(Object.keys(after)).toEqual(Object.keys(before));
  expect(Object.entries(after).filter(([, count]) => count > 0)).toEqual([]);
  expect(await rowsOf(globex)).toEqual(other);
});
