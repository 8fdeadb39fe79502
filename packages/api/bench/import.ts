// pnpm --filter @northstar/api bench:import [--rows N]
// The import engine on 1,000,000 generated rows (`timestamp,value`, streamed 2,000 rows a chunk),
// in one transaction as the upload route runs it, as the host's own login under row-level
// security: rows/s, beside the data generator's rate (db:generate-data's COPY, as superuser, no
// row-level security) measured in the same run on the same server. The target: the
// import at least half as fast as the generator. Runs on DATABASE_URL's server (a database of
// its own, dropped at the end) or, without DATABASE_URL, on a throwaway embedded PostgreSQL.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { configuredDatabaseUrl, createDatabase } from "@northstar/db";
import { generateData } from "@northstar/db/generate";
import { migrate, withDatabaseServer } from "@northstar/db/server";
import {
  createTestDatabase,
  createUser,
  ensureTestLogin,
  operatorPool,
  operatorTransaction,
} from "@northstar/db/testing";
import { importCsv } from "../src/import/engine.ts";
import type { ImportMapping } from "../src/import/mapping.ts";
import { uploadTransactionMs } from "../src/import/upload.ts";
import { generatedCsv } from "../test/generated-csv.ts";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { rows: { type: "string", default: "1000000" } },
});
const rows = Number(values.rows);
const format = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

async function run(serverUrl: string): Promise<void> {
  const database = await createTestDatabase(serverUrl, "template0");
  const admin = operatorPool(database.adminUrl);
  const db = createDatabase({ url: database.hostUrl, poolSize: 2 });
  try {
    await migrate(database.adminUrl);
    await ensureTestLogin(serverUrl);
    // The generator first: its points are in the table when the import runs, as in a real database.
    const generatorShape = { workspaces: 10, kpisPerWorkspace: 10, days: 417, intervalSeconds: 3_600 };
    const generated = await generateData({ url: database.adminUrl, ...generatorShape });

    const user = await createUser(admin, "Importer");
    const workspaceId = randomUUID();
    await operatorTransaction(admin, async (client) => {
      await client.query("INSERT INTO workspaces (id, name, slug) VALUES ($1, 'Import bench', $2)", [
        workspaceId,
        `bench-${workspaceId.slice(0, 8)}`,
      ]);
      await client.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'OWNER')", [
        workspaceId,
        user.id,
      ]);
    });
    const newKpi = {
      name: "Bench",
      unit: "",
      category: "General",
      direction: "HIGHER_IS_BETTER",
      aggregation: "SUM",
    } as const;
    const mapping: ImportMapping = { timestampColumn: "timestamp", columns: [{ column: "value", target: { newKpi } }] };
    const timed = async (label: string, mappingNow: ImportMapping) => {
      const started = performance.now();
      const result = await db.withContext(
        { userId: user.id, workspaceId },
        (tx) => importCsv(tx, { workspaceId, billing: null }, { source: generatedCsv(rows), mapping: mappingNow }),
        { transactionTimeoutMs: uploadTransactionMs },
      );
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `  ${label}: ${format.format(result.rows)} rows in ${seconds.toFixed(2)} s, ${format.format(result.rows / seconds)} rows/s ` +
          `(inserted ${format.format(result.inserted)}, updated ${format.format(result.updated)}, unchanged ${format.format(result.unchanged)})`,
      );
      return { result, rate: result.rows / seconds };
    };
    console.log(`\nImport engine: ${format.format(rows)} generated rows (timestamp,value), streamed, one transaction`);
    const first = await timed("new KPI, every point inserted", mapping);
    const kpiId = first.result.kpis[0]?.kpiId ?? "";
    await timed("the same file again (idempotent: nothing changes)", {
      timestampColumn: "timestamp",
      columns: [{ column: "value", target: { kpiId } }],
    });
    const shape = `db:generate-data --workspaces 10 --kpis 10 --days 417 --interval 1h`;
    console.log(
      `  data generator (${shape}): ${format.format(generated.points)} points, ${format.format(generated.pointsPerSecond)} points/s`,
    );
    const ratio = first.rate / generated.pointsPerSecond;
    console.log(`  import / generator: ${ratio.toFixed(2)} (target: at least 0.5)`);
  } finally {
    await db.close();
    await admin.end();
    await database.drop();
  }
}

await withDatabaseServer(configuredDatabaseUrl(), run);
