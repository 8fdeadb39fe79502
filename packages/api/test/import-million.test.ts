import { randomUUID } from "node:crypto";
import { operatorTransaction } from "@northstar/db/testing";
import { expect, test } from "vitest";
import { importCsv } from "../src/import/engine.ts";
import { uploadTransactionMs } from "../src/import/upload.ts";
import { generatedCsv, generatedStart, generatedValue } from "./generated-csv.ts";
import { signedInUser, useApiDatabase } from "./support.ts";

// A million rows through the import engine, streamed, in one transaction as the upload route
// runs it. Not timed (the benchmark, bench/import.ts, measures rows/s): it checks that every
// point arrives and that the KPI's current value is the newest point.

const ctx = useApiDatabase();
const rows = 1_000_000;

test("1,000,000 rows: all imported, streamed, in one transaction", { timeout: 30 * 60_000 }, async () => {
  const owner = await signedInUser(ctx(), "Million");
  const workspaceId = randomUUID();
  await operatorTransaction(ctx().admin, async (client) => {
    await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, 'Million', $2)", [
      workspaceId,
      `million-${workspaceId.slice(0, 8)}`,
    ]);
    await client.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')", [
      workspaceId,
      owner.id,
    ]);
  });
  const progress: number[] = [];
  const result = await ctx().db.withContext(
    { userId: owner.id, workspaceId },
    (db) =>
      importCsv(
        db,
        { workspaceId, billing: null },
        {
          source: generatedCsv(rows),
          mapping: {
            timestampColumn: "timestamp",
            columns: [
              {
                column: "value",
                target: {
                  newKpi: {
                    name: "A million",
                    unit: "",
                    category: "General",
                    direction: "HIGHER_IS_BETTER",
                    aggregation: "SUM",
                  },
                },
              },
            ],
          },
          onProgress: (read) => progress.push(read),
        },
      ),
    { transactionTimeoutMs: uploadTransactionMs },
  );
  expect(result).toMatchObject({ rows, points: rows, inserted: rows, updated: 0, unchanged: 0 });
  expect(progress.at(-1)).toBe(rows);
  expect(progress.length).toBeGreaterThan(100);
  const kpiId = result.kpis[0]?.kpiId;
  const stored = await ctx().admin.query<{ n: number; last: Date; current: number }>(
    `SELECT count(*)::int AS n, max(p."timestamp") AS last, k.current_value AS current
       FROM kpi_data_points AS p JOIN kpis AS k ON k.id = p.kpi_id
      WHERE p.kpi_id = $1 GROUP BY k.current_value`,
    [kpiId],
  );
  expect(stored.rows[0]).toEqual({
    n: rows,
    last: new Date(generatedStart + (rows - 1) * 3_600_000),
    current: generatedValue(rows - 1),
  });
});
