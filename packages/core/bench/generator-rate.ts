import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { environmentWith } from "./env.ts";

// The data generator's rate, as `pnpm db:generate-data` reports it, in a throwaway database on the
// given server (created, migrated by the script, dropped). Run as a child process: packages/db
// depends on packages/core, so core cannot import it back.

const run = promisify(execFile);
const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

export interface GeneratorRate {
  points: number;
  pointsPerSecond: number;
  shape: string;
}

function withDatabase(url: string, database: string): string {
  const next = new URL(url);
  next.pathname = `/${database}`;
  return next.toString();
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl, "postgres") });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function measureGenerator(serverUrl: string): Promise<GeneratorRate> {
  const database = `northstar_csv_bench_${randomBytes(4).toString("hex")}`;
  const args = ["--workspaces", "10", "--kpis", "10", "--days", "417", "--interval", "1h"];
  await admin(serverUrl, `CREATE DATABASE ${database}`);
  try {
    const { stdout } = await run("pnpm", ["--filter", "@northstar/db", "db:generate-data", ...args], {
      cwd: repositoryRoot,
      env: environmentWith(withDatabase(serverUrl, database)),
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = /Generated ([\d,]+) points .* ([\d,]+) points\/s/.exec(stdout);
    if (!line?.[1] || !line[2]) throw new Error(`db:generate-data printed no rate:\n${stdout}`);
    return {
      points: Number(line[1].replaceAll(",", "")),
      pointsPerSecond: Number(line[2].replaceAll(",", "")),
      shape: `db:generate-data ${args.join(" ")}`,
    };
  } finally {
    await admin(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}
