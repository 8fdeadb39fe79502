// pnpm --filter @northstar/db rollups:check [--workspace ID] [--kpi ID]
// pnpm --filter @northstar/db rollups:rebuild [--workspace ID] [--kpi ID]
// The operator's tools for the rollups (src/rollups.ts) on the development database (DATABASE_URL,
// or the embedded server): the check lists every rollup row that differs from the raw points and
// exits 1 when there is one; the rebuild recomputes the rollups from the raw points.
import { parseArgs } from "node:util";
import { uuidPattern } from "@northstar/core/uuid";
import pg from "pg";
import { openDevelopmentDatabase } from "../src/dev-database.ts";
import { checkRollups, type RollupScope, rebuildRollups } from "../src/rollups.ts";

const usage = `Usage: rollups.ts check|rebuild [--workspace ID] [--kpi ID]
  check      list the rollup rows that differ from the raw points (exit code 1 if any)
  rebuild    recompute the rollups from the raw points
  --workspace ID  only this workspace (default: every workspace)
  --kpi ID        only this KPI`;

class UsageError extends Error {}

function parseArguments(argv: string[]): { command: "check" | "rebuild"; scope: RollupScope } {
  const options = { workspace: { type: "string" }, kpi: { type: "string" } } as const;
  let parsed;
  try {
    parsed = parseArgs({ args: argv.filter((arg) => arg !== "--"), options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const [command, ...rest] = parsed.positionals;
  if ((command !== "check" && command !== "rebuild") || rest.length > 0)
    throw new UsageError(`expected "check" or "rebuild", got ${JSON.stringify(parsed.positionals.join(" "))}`);
  const { workspace, kpi } = parsed.values;
  for (const [flag, value] of [
    ["--workspace", workspace],
    ["--kpi", kpi],
  ] as const) {
    if (value !== undefined && !uuidPattern.test(value))
      throw new UsageError(`${flag} must be a UUID (got "${value}")`);
  }
  return { command, scope: { workspaceId: workspace, kpiId: kpi } };
}

async function main(): Promise<void> {
  const { command, scope } = parseArguments(process.argv.slice(2));
  const database = await openDevelopmentDatabase({ migrate: true });
  const client = new pg.Client({ connectionString: database.url, application_name: "northstar-rollups" });
  await client.connect();
  try {
    if (command === "rebuild") {
      const started = performance.now();
      const workspaces = await rebuildRollups(client, scope);
      console.log(
        `Rebuilt the rollups of ${workspaces} workspace(s) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      return;
    }
    const drift = await checkRollups(client, scope);
    for (const row of drift) {
      console.log(
        `${row.problem} ${row.level} rollup: workspace ${row.workspaceId}, KPI ${row.kpiId}, bucket ${row.bucketStart.toISOString()}`,
      );
    }
    if (drift.length > 0) {
      console.log(`${drift.length} rollup row(s) differ from the raw points: run rollups:rebuild with the same scope`);
      process.exitCode = 1;
    } else {
      console.log("The rollups match the raw points.");
    }
  } finally {
    await client.end();
    await database.close();
  }
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`Invalid arguments: ${error.message}\n\n${usage}`);
    process.exit(2);
  }
  console.error("rollups failed:", error);
  process.exit(1);
});
