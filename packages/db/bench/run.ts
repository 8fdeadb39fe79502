// `pnpm bench`: what row-level security and the context handshake cost on the hot reads, against
// the same SQL as one raw statement. Runs on DATABASE_URL's server (a database of its own, dropped
// at the end) or, without DATABASE_URL, on a throwaway embedded PostgreSQL.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { createDatabase, type Database, queryRows, type RequestContext } from "../src/client.ts";
import { configuredDatabaseUrl } from "../src/env.ts";
import { copyRaw, type GenerateResult, generateData, prepareRawCopy } from "../src/generate.ts";
import { printTable, quantile } from "../src/testing/bench-report.ts";
import type { Prisma } from "../src/generated/prisma/client.ts";
import { sql } from "../src/query.ts";
import { type RollupSeriesInput, rawRollupSeriesQuery, readRollupSeries } from "../src/rollups.ts";
import { type KpiSeriesInput, kpiSeries, kpiSeriesQuery, kpiSummaries, kpiSummariesQuery } from "../src/series.ts";
import { wholeDaysSeriesQuery } from "../src/whole-days.ts";
import { readKpiChart } from "../src/chart.ts";
import { migrate, withDatabaseServer } from "../src/server.ts";
import { createTestDatabase, ensureTestLogin, type TestDatabase } from "../src/testing/index.ts";
import {
  days,
  kpisPerWorkspace,
  load,
  type Tenant,
  tenants,
  workspaces,
  yearKpisPerWorkspace,
  yearTenants,
  yearWorkspaces,
} from "./load.ts";

const warmupRounds = 300;
const rounds = 2_000;
const rollupRounds = 1_000;
const dayMs = 86_400_000;

function statementName(text: string): string {
  return `bench_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
}

/** The same SQL as one statement on its own: no transaction, no settings, no role. */
function rawQuery(pool: pg.Pool, query: Prisma.Sql, prepared: boolean): Promise<pg.QueryResult> {
  return pool.query({ name: prepared ? statementName(query.text) : undefined, text: query.text, values: query.values });
}

/** The reader's transaction shape (prepared statement included), built here so that only the role differs. */
async function pipelined(pool: pg.Pool, role: string, context: RequestContext, query: Prisma.Sql): Promise<unknown[]> {
  const client = await pool.connect();
  try {
    const settings = `SELECT set_config('role', $1, true), set_config('app.user_id', $2, true),
      set_config('app.workspace_id', $3, true)`;
    const [, , result] = await Promise.all([
      client.query("BEGIN READ ONLY"),
      client.query({
        name: statementName(settings),
        text: settings,
        values: [role, context.userId ?? "", context.workspaceId ?? ""],
      }),
      client.query<pg.QueryResultRow>({ name: statementName(query.text), text: query.text, values: query.values }),
      client.query("COMMIT"),
    ]);
    return result.rows;
  } finally {
    client.release();
  }
}

type Shape = (tenant: Tenant, kpiId: string) => Promise<unknown>;

/** Every round runs every shape once on the same input, in a shuffled order. */
async function measure(
  shapes: Record<string, Shape>,
  all: Tenant[],
  count: number,
  warmup = warmupRounds,
): Promise<Map<string, { p50: number; p95: number }>> {
  const names = Object.keys(shapes);
  const samples = new Map(names.map((name) => [name, [] as number[]]));
  for (let round = 0; round < warmup + count; round++) {
    const tenant = all[round % all.length];
    const kpiId = tenant?.kpiIds[Math.floor(round / all.length) % Math.max(1, tenant.kpiIds.length)];
    if (!tenant || !kpiId) throw new Error("no tenant to benchmark with");
    const order = [...names];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? "", order[i] ?? ""];
    }
    for (const name of order) {
      const shape = shapes[name];
      if (!shape) continue;
      const started = performance.now();
      await shape(tenant, kpiId);
      if (round >= warmup) samples.get(name)?.push(performance.now() - started);
    }
  }
  return new Map(
    [...samples].map(([name, times]) => {
      times.sort((a, b) => a - b);
      return [name, { p50: quantile(times, 0.5), p95: quantile(times, 0.95) }];
    }),
  );
}

interface Pools {
  raw: pg.Pool;
  appPipelined: pg.Pool;
  adminPipelined: pg.Pool;
  /** The app role on a copy of the database whose tables have row-level security disabled. */
  appWithoutRls: pg.Pool;
}

/** Every shape of (a) to (c); the same inputs in every shape of a round. */
function hotReadShapes(db: Database, pools: Pools): Record<string, Shape> {
  const to = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
  // The workspace named as kpi.series names it: the rollups' keys lead with it, and without RLS
  // (the raw and RLS-off shapes) nothing else would bound the read to one workspace's rows.
  const series = (tenant: Tenant, kpiId: string) => ({
    workspaceId: tenant.context.workspaceId,
    kpiId,
    from: new Date(to.getTime() - 90 * 86_400_000),
    to,
    buckets: 90,
  });
  const list = (tenant: Tenant) => ({ workspaceId: tenant.context.workspaceId, period: "week" as const, limit: 20 });
  const { raw, appPipelined, adminPipelined, appWithoutRls } = pools;
  return {
    seriesRaw: (tenant, kpiId) => rawQuery(raw, kpiSeriesQuery(series(tenant, kpiId)), false),
    seriesRawPrepared: (tenant, kpiId) => rawQuery(raw, kpiSeriesQuery(series(tenant, kpiId)), true),
    seriesReader: (tenant, kpiId) => kpiSeries(db.reader(tenant.context), series(tenant, kpiId)),
    seriesPrisma: (tenant, kpiId) => db.withContext(tenant.context, (tx) => kpiSeries(tx, series(tenant, kpiId))),
    seriesRlsOff: (tenant, kpiId) =>
      pipelined(adminPipelined, "none", tenant.context, kpiSeriesQuery(series(tenant, kpiId))),
    seriesRlsOn: (tenant, kpiId) =>
      pipelined(appPipelined, "northstar_app", tenant.context, kpiSeriesQuery(series(tenant, kpiId))),
    seriesAppRlsOff: (tenant, kpiId) =>
      pipelined(appWithoutRls, "northstar_app", tenant.context, kpiSeriesQuery(series(tenant, kpiId))),
    listRaw: (tenant) => rawQuery(raw, kpiSummariesQuery(list(tenant)), false),
    listRawPrepared: (tenant) => rawQuery(raw, kpiSummariesQuery(list(tenant)), true),
    listReader: (tenant) => kpiSummaries(db.reader(tenant.context), list(tenant)),
    listPrisma: (tenant) => db.withContext(tenant.context, (tx) => kpiSummaries(tx, list(tenant))),
    listRlsOff: (tenant) => pipelined(adminPipelined, "none", tenant.context, kpiSummariesQuery(list(tenant))),
    listRlsOn: (tenant) => pipelined(appPipelined, "northstar_app", tenant.context, kpiSummariesQuery(list(tenant))),
    listAppRlsOff: (tenant) =>
      pipelined(appWithoutRls, "northstar_app", tenant.context, kpiSummariesQuery(list(tenant))),
  };
}

type Results = Map<string, { p50: number; p95: number }>;

function printHotReads(results: Results): void {
  const ratio = (name: string, base: string | null) => {
    const result = results.get(name);
    const reference = base === null ? undefined : results.get(base);
    return result && reference ? result.p50 / reference.p50 : undefined;
  };
  const rows: string[][] = [];
  const add = (
    label: string,
    name: string,
    base: string | null,
    target: number | null,
    prepared: string | null = null,
  ) => {
    const result = results.get(name);
    if (!result) return;
    const versus = ratio(name, base);
    const versusPrepared = ratio(name, prepared);
    const verdict =
      versus === undefined || target === null ? "" : `<= ${target.toFixed(2)}x ${versus <= target ? "ok" : "MISSED"}`;
    const format = (value: number | undefined) => (value === undefined ? "" : `${value.toFixed(2)}x`);
    rows.push([label, result.p50.toFixed(3), result.p95.toFixed(3), format(versus), format(versusPrepared), verdict]);
  };
  add("(a) series: raw pg statement, superuser, no RLS", "seriesRaw", null, null);
  add("(a) series: raw pg statement prepared, superuser, no RLS", "seriesRawPrepared", null, null);
  add("(a) series: packages/db reader, RLS on", "seriesReader", "seriesRaw", 1.5, "seriesRawPrepared");
  add(
    "(a) series: packages/db withContext (Prisma tx), RLS on",
    "seriesPrisma",
    "seriesRaw",
    null,
    "seriesRawPrepared",
  );
  add("(b) series: reader's tx shape, superuser, RLS off", "seriesRlsOff", null, null);
  add("(b) series: reader's tx shape, app role, RLS on", "seriesRlsOn", "seriesRlsOff", 1.15);
  add("(b) series: reader's tx shape, app role, RLS disabled", "seriesAppRlsOff", null, null);
  add("(b) series: app role, RLS on vs disabled", "seriesRlsOn", "seriesAppRlsOff", 1.15);
  add("(c) KPI list: raw pg statement, superuser, no RLS", "listRaw", null, null);
  add("(c) KPI list: raw pg statement prepared, superuser, no RLS", "listRawPrepared", null, null);
  add("(c) KPI list: packages/db reader, RLS on", "listReader", "listRaw", 1.5, "listRawPrepared");
  add("(c) KPI list: packages/db withContext (Prisma tx), RLS on", "listPrisma", "listRaw", null, "listRawPrepared");
  add("(c) KPI list: reader's tx shape, superuser, RLS off", "listRlsOff", null, null);
  add("(c) KPI list: reader's tx shape, app role, RLS on", "listRlsOn", "listRlsOff", 1.15);
  add("(c) KPI list: reader's tx shape, app role, RLS disabled", "listAppRlsOff", null, null);
  add("(c) KPI list: app role, RLS on vs disabled", "listRlsOn", "listAppRlsOff", 1.15);
  printTable(
    `Hot reads: ${rounds} interleaved rounds after ${warmupRounds} warm-up; ` +
      "90-day series in 90 daily buckets; list of 20 KPIs",
    ["shape", "p50 ms", "p95 ms", "ratio", "vs prepared", "target (ratio of p50s)"],
    rows,
  );
}

async function readBenchmarks(
  admin: pg.Pool,
  appUrl: string,
  adminUrl: string,
  appUrlWithoutRls: string,
  db: Database,
): Promise<void> {
  const all = await tenants(admin);
  const pools: Pools = {
    raw: new pg.Pool({ connectionString: adminUrl, max: 1 }),
    appPipelined: new pg.Pool({ connectionString: appUrl, max: 1, pipeline: true }),
    adminPipelined: new pg.Pool({ connectionString: adminUrl, max: 1, pipeline: true }),
    appWithoutRls: new pg.Pool({ connectionString: appUrlWithoutRls, max: 1, pipeline: true }),
  };
  try {
    const shapes = hotReadShapes(db, pools);
    printHotReads(await measure(shapes, all, rounds));
  } finally {
    await Promise.all([
      pools.raw.end(),
      pools.appPipelined.end(),
      pools.adminPipelined.end(),
      pools.appWithoutRls.end(),
    ]);
  }
}

const ingestRounds = 2;

/**
 * (d): the generator (rendering and COPY per batch, every trigger on: current values and rollups)
 * against a raw COPY of the same rows from a file into the same table with its triggers off (the
 * foreign-key checks stay on). Alternated, each twice, and the faster of each compared: a single
 * pair on a shared machine mostly measures who else was busy at the time.
 */
async function ingestBenchmark(admin: pg.Pool, adminUrl: string): Promise<void> {
  const shape = { url: adminUrl, workspaces: 20, kpisPerWorkspace: 10, days: 90, intervalSeconds: 3_600 };
  const folder = await mkdtemp(path.join(tmpdir(), "northstar-bench-"));
  const generatedRuns: GenerateResult[] = [];
  const copiedRuns: GenerateResult[] = [];
  try {
    for (let round = 0; round < ingestRounds; round++) {
      generatedRuns.push(await generateData(shape));
      const file = path.join(folder, `points-${round}.copy`);
      await prepareRawCopy({ ...shape, file });
      await admin.query("ALTER TABLE kpi_data_points DISABLE TRIGGER USER");
      try {
        copiedRuns.push(await copyRaw({ url: adminUrl, file }));
      } finally {
        await admin.query("ALTER TABLE kpi_data_points ENABLE TRIGGER USER");
      }
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
  const fastest = (runs: GenerateResult[]) =>
    runs.reduce((best, run) => (run.pointsPerSecond > best.pointsPerSecond ? run : best));
  const generated = fastest(generatedRuns);
  const copied = fastest(copiedRuns);
  const ratio = generated.pointsPerSecond / copied.pointsPerSecond;
  const all = (runs: GenerateResult[]) => runs.map((run) => run.pointsPerSecond.toFixed(0)).join(", ");
  printTable(
    `Ingest (${ingestRounds} runs each, alternated; the faster of each)`,
    ["writer", "points", "seconds", "points/s", "all runs, points/s", "ratio", "target"],
    [
      [
        "(d) raw COPY of a prepared file, triggers off",
        String(copied.points),
        copied.seconds.toFixed(2),
        copied.pointsPerSecond.toFixed(0),
        all(copiedRuns),
        "1.00x",
        "",
      ],
      [
        "(d) generateData, triggers on (current value, rollups)",
        String(generated.points),
        generated.seconds.toFixed(2),
        generated.pointsPerSecond.toFixed(0),
        all(generatedRuns),
        `${ratio.toFixed(2)}x`,
        `>= 0.50x ${ratio >= 0.5 ? "ok" : "MISSED"}`,
      ],
    ],
  );
}

/**
 * (e) and (f): one KPI's last 365 days in daily buckets, through the reader (RLS on): from the
 * rollups, as calendar days and as equal widths of a day; the physical floor, the same 365 daily
 * rows read by primary key; and the raw aggregation of the same buckets (8,760 points).
 */
async function rollupBenchmarks(admin: pg.Pool, db: Database): Promise<void> {
  const all = await yearTenants(admin);
  const to = new Date(Math.floor(Date.now() / dayMs) * dayMs);
  const from = new Date(to.getTime() - 365 * dayMs);
  const calendar = (kpiId: string): RollupSeriesInput => ({ kpiId, from, to, unit: "day", timeZone: "UTC" });
  const fixed = (kpiId: string): RollupSeriesInput => ({ kpiId, from, to, bucketWidthMs: dayMs });
  const floor = (tenant: Tenant, kpiId: string) =>
    sql<{ start: Date }>`
      SELECT r.bucket_start AS start, r.sum::float8 AS sum, r.count, r.min, r.max, r.last_value AS last
        FROM kpi_rollups_daily AS r
       WHERE r.workspace_id = ${tenant.context.workspaceId}::uuid AND r.kpi_id = ${kpiId}::uuid
         AND r.bucket_start >= ${from}::timestamptz AND r.bucket_start < ${to}::timestamptz`;
  // kpi.series' own statement for a year of local days in the workspace's zone (src/whole-days.ts),
  // which also lists the empty days.
  const chartDays = (tenant: Tenant, kpiId: string): KpiSeriesInput => ({
    kpiId,
    workspaceId: tenant.context.workspaceId,
    from,
    to,
    buckets: 365,
    calendar: "day",
    timeZone: "UTC",
  });
  const first = all[0];
  const firstKpi = first?.kpiIds[0];
  if (!first || !firstKpi) throw new Error("no year of data to benchmark with");
  const reader = db.reader(first.context);
  const fromRollups = await readRollupSeries(reader, calendar(firstKpi));
  const fromRaw = await queryRows(reader, rawRollupSeriesQuery(calendar(firstKpi)));
  const same = JSON.stringify(fromRollups) === JSON.stringify(fromRaw) && fromRollups.length === 365;
  const [wholeDayRows, generalRows] = await reader.batch(
    wholeDaysSeriesQuery(chartDays(first, firstKpi)),
    kpiSeriesQuery(chartDays(first, firstKpi)),
  );
  const sameDays = JSON.stringify(wholeDayRows) === JSON.stringify(generalRows);
  console.log(
    `\n(e) a year of daily buckets: ${fromRollups.length} buckets, rollups and raw identical: ${same ? "yes" : "NO"}; ` +
      `kpi.series' whole days and its general statement identical: ${sameDays ? "yes" : "NO"}`,
  );
  const results = await measure(
    {
      floor: (tenant, kpiId) => queryRows(db.reader(tenant.context), floor(tenant, kpiId)),
      calendar: (tenant, kpiId) => readRollupSeries(db.reader(tenant.context), calendar(kpiId)),
      fixed: (tenant, kpiId) => readRollupSeries(db.reader(tenant.context), fixed(kpiId)),
      wholeDays: (tenant, kpiId) =>
        queryRows(db.reader(tenant.context), wholeDaysSeriesQuery(chartDays(tenant, kpiId))),
      // What kpi.series reads for one period (src/chart.ts), with the KPI's version and zone, unpacked.
      chart: (tenant, kpiId) =>
        readKpiChart(db.reader(tenant.context), { ...chartDays(tenant, kpiId), compare: false }),
      raw: (tenant, kpiId) => queryRows(db.reader(tenant.context), rawRollupSeriesQuery(calendar(kpiId))),
    },
    all,
    rollupRounds,
    100,
  );
  const floorP50 = results.get("floor")?.p50 ?? Number.NaN;
  const row = (label: string, name: string, target: number | null): string[] => {
    const result = results.get(name);
    const ratio = (result?.p50 ?? Number.NaN) / floorP50;
    const verdict = target === null ? "" : `<= ${target.toFixed(2)}x ${ratio <= target ? "ok" : "MISSED"}`;
    return [label, result?.p50.toFixed(3) ?? "", result?.p95.toFixed(3) ?? "", `${ratio.toFixed(2)}x`, verdict];
  };
  printTable(
    `Rollups: ${rollupRounds} interleaved rounds after 100 warm-up; one KPI's last 365 days in daily buckets, ` +
      "reader (RLS on)",
    ["shape", "p50 ms", "p95 ms", "vs floor", "target (ratio of p50s)"],
    [
      row("(e) floor: 365 daily rollup rows by primary key", "floor", null),
      row("(e) readRollupSeries (the general reader), calendar days (UTC)", "calendar", null),
      row("(e) readRollupSeries, 365 equal widths of a day", "fixed", null),
      row("(e) whole local days from the daily rollups, as joined rows", "wholeDays", null),
      row("(e) kpi.series' read: whole local days in columns, joined on the host", "chart", 1.5),
      row("(f) the same buckets from the raw points (8,760)", "raw", null),
    ],
  );
}

/**
 * "RLS alone" at its most literal: the same role and transaction on a copy of the loaded database
 * whose tables have row-level security disabled (the superuser pairs above also skip privilege checks).
 */
async function copyWithoutRowLevelSecurity(serverUrl: string, adminUrl: string): Promise<TestDatabase> {
  const copy = await createTestDatabase(serverUrl, decodeURIComponent(new URL(adminUrl).pathname.slice(1)));
  const client = new pg.Client({ connectionString: copy.adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      "SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relrowsecurity",
    );
    for (const { name } of rows) await client.query(`ALTER TABLE "${name}" DISABLE ROW LEVEL SECURITY`);
    await client.query("VACUUM ANALYZE");
  } finally {
    await client.end();
  }
  return copy;
}

async function run(serverUrl: string): Promise<void> {
  const database = await createTestDatabase(serverUrl, "template0");
  let admin = new pg.Pool({ connectionString: database.adminUrl, max: 2 });
  let db: Database | undefined;
  let withoutRls: TestDatabase | undefined;
  try {
    await migrate(database.adminUrl);
    await ensureTestLogin(serverUrl);
    let started = performance.now();
    const points = await load(admin);
    const { rows } = await admin.query<{ version: string }>("SELECT current_setting('server_version') AS version");
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `PostgreSQL ${rows[0]?.version ?? "?"}: loaded ${points.toLocaleString("en")} points ` +
        `(${workspaces} workspaces, ${workspaces * kpisPerWorkspace} KPIs, hourly over ${days} days; ` +
        `${yearWorkspaces} workspaces, ${yearWorkspaces * yearKpisPerWorkspace} KPIs over 366 days), ` +
        `rollups built, in ${seconds} s`,
    );
    await admin.end(); // a database is copied only while nobody is connected to it
    withoutRls = await copyWithoutRowLevelSecurity(serverUrl, database.adminUrl);
    admin = new pg.Pool({ connectionString: database.adminUrl, max: 2 });
    db = createDatabase({ url: database.hostUrl, poolSize: 1 });
    started = performance.now();
    await readBenchmarks(admin, database.hostUrl, database.adminUrl, withoutRls.hostUrl, db);
    console.log(`(read benchmarks took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    started = performance.now();
    await rollupBenchmarks(admin, db);
    console.log(`(rollup benchmarks took ${((performance.now() - started) / 1000).toFixed(1)} s)`);
    await ingestBenchmark(admin, database.adminUrl);
  } finally {
    await db?.close();
    await admin.end();
    await withoutRls?.drop();
    await database.drop();
  }
}

await withDatabaseServer(configuredDatabaseUrl(), run);
