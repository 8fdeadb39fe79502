import fc from "fast-check";
import { beforeAll, describe, expect, test } from "vitest";
import { createDatabase, queryRows, type RequestContext } from "../src/client.ts";
import { generateData } from "../src/generate.ts";
import {
  checkRollups,
  type RollupBucket,
  type RollupSeriesInput,
  rawRollupSeriesQuery,
  readRollupSeries,
  rebuildRollups,
} from "../src/rollups.ts";
import { bulkLoad } from "../src/testing/bulk-load.ts";
import { operatorTransaction } from "../src/testing/operator.ts";
import {
  addKpi as addOperatorKpi,
  arrangeTenancy,
  dstWindowStart,
  insertPoints as insertOperatorPoints,
  type OperatorPoint,
  addWorkspace,
  rollupRowCounts,
  setWorkspaceZone,
  type Tenancy,
  expectNoRollupDrift,
} from "./fixtures.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// The rollups against the raw points: fixed cases (ties, edges, zones, each writer role), a
// property test over random writes and reads, row-level security, and the operator's drift check
// and rebuild. Every comparison is exact: sums are numeric on both sides.

const ctx = useTestDatabase();
let t: Tenancy;
let alice: RequestContext;

const minute = 60_000;
const hour = 3_600_000;
const day = 86_400_000;
const at = (ms: number) => new Date(dstWindowStart + ms);

const insertPoints = (points: readonly OperatorPoint[], workspaceId = t.workspaces.a) =>
  insertOperatorPoints(ctx().admin, workspaceId, points);
const addKpi = (workspaceId = t.workspaces.a) => addOperatorKpi(ctx().admin, workspaceId, "Rollup");
const setZone = (zone: string, workspaceId = t.workspaces.a) => setWorkspaceZone(ctx().admin, workspaceId, zone);

/** Both answers through the app role, under row-level security. */
async function both(input: RollupSeriesInput): Promise<{ rollups: RollupBucket[]; raw: RollupBucket[] }> {
  const reader = ctx().db.reader(alice);
  return { rollups: await readRollupSeries(reader, input), raw: await queryRows(reader, rawRollupSeriesQuery(input)) };
}

async function expectSame(input: RollupSeriesInput): Promise<RollupBucket[]> {
  const { rollups, raw } = await both(input);
  expect(rollups).toEqual(raw);
  return rollups;
}

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
  alice = { userId: t.users.alice, workspaceId: t.workspaces.a };
});

describe("fixed cases", () => {
  test("ties, late and out-of-order points, edges: the same buckets as the raw points", async () => {
    const kpiId = await addKpi();
    // Out of time order, two points at one instant (the smaller value is "last"), points on each
    // side of hour and day edges, one late point into an hour that already has a row.
    await insertPoints([
      { kpiId, at: at(day + 30 * minute), value: 5, source: "MANUAL" },
      { kpiId, at: at(day + 10 * minute), value: 7, source: "MANUAL" },
      { kpiId, at: at(day + 30 * minute), value: 2, source: "IMPORT" },
      { kpiId, at: at(2 * day - 1), value: -4.25, source: "MANUAL" },
      { kpiId, at: at(2 * day), value: 0.1, source: "MANUAL" },
      { kpiId, at: at(3 * day + 59 * minute), value: 1 / 3, source: "MANUAL" },
    ]);
    await insertPoints([{ kpiId, at: at(day + 45 * minute), value: 0.2, source: "MANUAL" }]);
    const hourBucket = await expectSame({ kpiId, from: at(day), to: at(day + hour), bucketWidthMs: hour });
    expect(hourBucket).toEqual([{ start: at(day), sum: 14.2, count: 4, min: 0.2, max: 7, last: 0.2 }]);
    const tie = await expectSame({ kpiId, from: at(day), to: at(day + 40 * minute), bucketWidthMs: hour });
    expect(tie[0]?.last).toBe(2);
    await expectSame({ kpiId, from: at(0), to: at(5 * day), bucketWidthMs: day });
    await expectSame({ kpiId, from: at(day + 20 * minute), to: at(4 * day - 7), bucketWidthMs: 5 * hour + 1 });
    await expectSame({ kpiId, from: at(0), to: at(5 * day), bucketWidthMs: 15 * minute });
    for (const unit of ["day", "week", "month"] as const) {
      for (const timeZone of ["UTC", "Asia/Kathmandu", "America/New_York"]) {
        await expectSame({ kpiId, from: at(-3 * day), to: at(10 * day + 7), unit, timeZone });
      }
    }
    await expectNoRollupDrift(ctx().admin);
  });

  test("updates that move points across buckets and deletes of a bucket's min, max and last", async () => {
    const kpiId = await addKpi();
    await insertPoints([
      { kpiId, at: at(10 * minute), value: 1, source: "MANUAL" },
      { kpiId, at: at(20 * minute), value: 9, source: "MANUAL" },
      { kpiId, at: at(50 * minute), value: 5, source: "MANUAL" },
      { kpiId, at: at(2 * hour), value: 3, source: "MANUAL" },
    ]);
    const { admin } = ctx();
    const where = "kpi_id = $1 AND value = $2";
    await admin.query(`DELETE FROM kpi_data_points WHERE ${where}`, [kpiId, 1]); // the min
    await admin.query(`DELETE FROM kpi_data_points WHERE ${where}`, [kpiId, 9]); // the max
    await admin.query(`UPDATE kpi_data_points SET "timestamp" = $3 WHERE ${where}`, [kpiId, 5, at(3 * day)]); // the last, moved
    await admin.query(`UPDATE kpi_data_points SET value = 4 WHERE ${where}`, [kpiId, 3]);
    const buckets = await expectSame({ kpiId, from: at(0), to: at(4 * day), bucketWidthMs: hour });
    expect(buckets).toEqual([
      { start: at(2 * hour), sum: 4, count: 1, min: 4, max: 4, last: 4 },
      { start: at(3 * day), sum: 5, count: 1, min: 5, max: 5, last: 5 },
    ]);
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM kpi_rollups_hourly WHERE kpi_id = $1", [kpiId]);
    expect(rows[0]).toEqual({ n: 2 }); // the emptied hour's row is gone
    await expectNoRollupDrift(ctx().admin);
  });

  test("the app's and the worker's writes keep the rollups, and neither can write a rollup row", async () => {
    const kpiId = await addKpi();
    const { db, database } = ctx();
    await db.withContext({ userId: t.users.bob, workspaceId: t.workspaces.a }, async (tx) => {
      await tx.$executeRaw`INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp")
                           VALUES (${t.workspaces.a}::uuid, ${kpiId}::uuid, 3, ${at(hour)}::timestamptz)`;
      await tx.$executeRaw`UPDATE kpi_data_points SET value = 6 WHERE kpi_id = ${kpiId}::uuid`;
    });
    const worker = createDatabase({ url: database.workerUrl, poolSize: 1 });
    try {
      await worker.withWorkerContext(t.workspaces.a, async (tx) => {
        await tx.$executeRaw`INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp", source)
                             VALUES (${t.workspaces.a}::uuid, ${kpiId}::uuid, 8, ${at(hour + minute)}::timestamptz, 'IMPORT')`;
      });
      const write = worker.withWorkerContext(
        t.workspaces.a,
        (tx) => tx.$executeRaw`UPDATE kpi_rollups_hourly SET sum = 0 WHERE kpi_id = ${kpiId}::uuid`,
      );
      await expect(write).rejects.toMatchObject({ kind: "permission_denied" });
    } finally {
      await worker.close();
    }
    const write = db.withContext(
      alice,
      (tx) => tx.$executeRaw`DELETE FROM kpi_rollups_daily WHERE kpi_id = ${kpiId}::uuid`,
    );
    await expect(write).rejects.toMatchObject({ kind: "permission_denied" });
    expect(await expectSame({ kpiId, from: at(0), to: at(day), bucketWidthMs: day })).toEqual([
      { start: at(0), sum: 14, count: 2, min: 6, max: 8, last: 8 },
    ]);
    await expectNoRollupDrift(ctx().admin);
  });

  test("another workspace's rollups read as empty", async () => {
    const kpiId = await addKpi(t.workspaces.b);
    await insertPoints([{ kpiId, at: at(hour), value: 1, source: "MANUAL" }], t.workspaces.b);
    const input = { kpiId, from: at(0), to: at(day), bucketWidthMs: day };
    // Alice is an ADMIN of B, but her context here is A; Bob is no member of B at all.
    expect(await readRollupSeries(ctx().db.reader(alice), input)).toEqual([]);
    const bobInB = ctx().db.reader({ userId: t.users.bob, workspaceId: t.workspaces.b });
    expect(await readRollupSeries(bobInB, { ...input, unit: "day", timeZone: "UTC" })).toEqual([]);
    const { rows } = await ctx().admin.query("SELECT count(*)::int AS n FROM kpi_rollups_daily WHERE kpi_id = $1", [
      kpiId,
    ]);
    expect(rows[0]).toEqual({ n: 1 });
  });

  test("a time zone change rebuilds the daily rows in the new zone", async () => {
    const kpiId = await addKpi();
    await insertPoints([
      { kpiId, at: at(20 * hour), value: 1, source: "MANUAL" },
      { kpiId, at: at(30 * hour), value: 2, source: "MANUAL" },
    ]);
    const days = async () =>
      (
        await ctx().admin.query<{ start: Date; end: Date }>(
          `SELECT bucket_start AS start, bucket_end AS "end" FROM kpi_rollups_daily WHERE kpi_id = $1 ORDER BY 1`,
          [kpiId],
        )
      ).rows;
    expect(await days()).toEqual([
      { start: at(0), end: at(day) },
      { start: at(day), end: at(2 * day) },
    ]);
    await setZone("Asia/Kolkata");
    expect(await days()).toEqual([{ start: at(day - 5.5 * hour), end: at(2 * day - 5.5 * hour) }]);
    await expectSame({ kpiId, from: at(-day), to: at(3 * day), unit: "day", timeZone: "Asia/Kolkata" });
    await expectSame({ kpiId, from: at(-day), to: at(3 * day), unit: "day", timeZone: "UTC" });
    await setZone("UTC");
    expect(await days()).toHaveLength(2);
    await expectNoRollupDrift(ctx().admin);
  });
});

describe("drift check and rebuild", () => {
  test("a corrupted, a missing and a left-over row are named; the rebuild fixes them", async () => {
    const kpiId = await addKpi();
    await insertPoints([
      { kpiId, at: at(hour), value: 1, source: "MANUAL" },
      { kpiId, at: at(day + hour), value: 2, source: "MANUAL" },
    ]);
    const { admin } = ctx();
    await admin.query("UPDATE kpi_rollups_hourly SET min = -1 WHERE kpi_id = $1 AND bucket_start = $2", [
      kpiId,
      at(hour),
    ]);
    await admin.query("DELETE FROM kpi_rollups_daily WHERE kpi_id = $1 AND bucket_start = $2", [kpiId, at(day)]);
    await admin.query(
      `INSERT INTO kpi_rollups_hourly (workspace_id, kpi_id, bucket_start, sum, count, min, max, last_at, last_value)
       VALUES ($1, $2, $3, 1, 1, 1, 1, $3, 1)`,
      [t.workspaces.a, kpiId, at(5 * day)],
    );
    const client = await admin.connect();
    try {
      expect(await checkRollups(client, { kpiId })).toEqual([
        { level: "daily", workspaceId: t.workspaces.a, kpiId, bucketStart: at(day), problem: "missing" },
        { level: "hourly", workspaceId: t.workspaces.a, kpiId, bucketStart: at(hour), problem: "differs" },
        { level: "hourly", workspaceId: t.workspaces.a, kpiId, bucketStart: at(5 * day), problem: "extra" },
      ]);
      // The check of another workspace does not see them.
      expect(await checkRollups(client, { workspaceId: t.workspaces.b })).toEqual([]);
      expect(await rebuildRollups(client, { kpiId })).toBe(1);
      expect(await checkRollups(client)).toEqual([]);
    } finally {
      client.release();
    }
  });
});

describe("deleting KPIs", () => {
  test("deleting a workspace or a KPI leaves no rollup row of theirs, and no other goes", async () => {
    const { admin } = ctx();
    const kept = await addKpi();
    const emptied = await addKpi();
    const workspaceId = await addWorkspace(admin, t.users.alice);
    const elsewhere = await addKpi(workspaceId);
    const point = (kpiId: string): OperatorPoint => ({ kpiId, at: at(hour), value: 1, source: "MANUAL" });
    await insertPoints([point(kept), point(emptied)]);
    await insertPoints([point(elsewhere)], workspaceId);
    const rows = (kpiId: string) => rollupRowCounts(admin, kpiId);
    expect(await rows(elsewhere)).toEqual({ hourly: 1, daily: 1 });
    await admin.query("DELETE FROM workspaces WHERE id = $1", [workspaceId]);
    expect(await rows(elsewhere)).toEqual({ hourly: 0, daily: 0 });
    // A KPI with points cannot be deleted (their key is NO ACTION): its points go first, and with
    // them its rollup rows. A row they do not account for (written with triggers off, say) goes
    // with the KPI.
    await admin.query("DELETE FROM kpi_data_points WHERE kpi_id = $1", [emptied]);
    await admin.query(
      `INSERT INTO kpi_rollups_hourly (workspace_id, kpi_id, bucket_start, sum, count, min, max, last_at, last_value)
       VALUES ($1, $2, $3, 1, 1, 1, 1, $3, 1)`,
      [t.workspaces.a, emptied, at(5 * day)],
    );
    await admin.query("DELETE FROM kpis WHERE id = $1", [emptied]);
    expect(await rows(emptied)).toEqual({ hourly: 0, daily: 0 });
    expect(await rows(kept)).toEqual({ hourly: 1, daily: 1 });
    await expectNoRollupDrift(admin);
  });
});

describe("bulk writers", () => {
  test("the data generator (COPY, triggers on) and the bulk load (triggers off, then a rebuild) leave exact rollups", async () => {
    const { admin, database } = ctx();
    const generated = await generateData({
      url: database.adminUrl,
      workspaces: 2,
      kpisPerWorkspace: 2,
      days: 3,
      intervalSeconds: 1_800,
    });
    expect(generated.points).toBe(2 * 2 * 144);
    const loaded = await operatorTransaction(admin, (client) =>
      bulkLoad(client, { prefix: "rollups", workspaces: 2, kpisPerWorkspace: 2, pointsPerKpi: 50 }),
    );
    expect(loaded).toBe(200);
    const { rows } = await admin.query<{ n: number }>("SELECT count(*)::int AS n FROM kpi_rollups_hourly");
    expect(rows[0]?.n).toBeGreaterThanOrEqual(2 * 2 * 72 + 200);
    await expectNoRollupDrift(ctx().admin);
  });
});

describe("property: the rollups answer what the raw points answer", () => {
  const seed = 20261130;
  const zones = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Australia/Lord_Howe", "America/Havana"];
  const span = 40 * day;

  // Instants on round minutes (often hour and day edges), or anywhere to the millisecond.
  const instant = fc.oneof(
    fc.integer({ min: (-2 * day) / minute, max: span / minute }).map((m) => m * minute),
    fc.integer({ min: -2 * day, max: span }),
  );
  const value = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.constantFrom(1, 3, 10)).map(([n, d]) => n / d);
  const pointsArb = fc.array(
    fc.record({ kpi: fc.nat(2), at: instant, value, source: fc.constantFrom("MANUAL" as const, "IMPORT" as const) }),
    { minLength: 1, maxLength: 40 },
  );
  const write = fc.oneof(
    fc.record({ kind: fc.constant("insert" as const), points: pointsArb }),
    fc.record({ kind: fc.constant("move" as const), pick: fc.nat(), shiftMs: instant }),
    fc.record({ kind: fc.constant("revalue" as const), pick: fc.nat(), value }),
    fc.record({ kind: fc.constant("delete" as const), pick: fc.nat(), every: fc.integer({ min: 2, max: 5 }) }),
    fc.record({ kind: fc.constant("zone" as const), zone: fc.constantFrom(...zones) }),
  );
  const read = fc.record({
    kpi: fc.nat(2),
    from: instant,
    // A plan's history window: points before it are left out, the buckets stay.
    visibleAfterMs: fc.option(fc.integer({ min: 0, max: 20 * day }), { freq: 4 }),
    lengthMs: fc.oneof(
      fc.integer({ min: 1, max: span }),
      fc.integer({ min: 1, max: 30 }).map((n) => n * day),
    ),
    mode: fc.oneof(
      fc.record({ buckets: fc.integer({ min: 1, max: 60 }) }),
      fc.record({ widthMs: fc.constantFrom(hour, 2 * hour, 6 * hour, day, 7 * day) }),
      fc.record({
        unit: fc.constantFrom("day" as const, "week" as const, "month" as const),
        zone: fc.constantFrom(...zones),
      }),
    ),
  });

  test("random KPIs, ranges, bucket counts and interleaved inserts, updates and deletes", async () => {
    const kpiIds = [await addKpi(), await addKpi(), await addKpi()];
    const { admin } = ctx();
    const pick = <T>(list: readonly T[], index: number): T | undefined => list[index % Math.max(1, list.length)];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(write, fc.array(read, { maxLength: 3 })), { minLength: 1, maxLength: 6 }),
        async (steps) => {
          await admin.query("DELETE FROM kpi_data_points WHERE kpi_id = ANY($1::uuid[])", [kpiIds]);
          await setZone("UTC");
          for (const [step, reads] of steps) {
            const { rows } = await admin.query<{ id: string }>(
              `SELECT id::text FROM kpi_data_points WHERE kpi_id = ANY($1::uuid[]) ORDER BY "timestamp", id`,
              [kpiIds],
            );
            const ids = rows.map((row) => row.id);
            if (step.kind === "insert") {
              await insertPoints(
                step.points.map((p) => ({
                  kpiId: kpiIds[p.kpi] ?? "",
                  at: at(p.at),
                  value: p.value,
                  source: p.source,
                })),
              );
            } else if (step.kind === "move") {
              const id = pick(ids, step.pick);
              // A move onto another point's (instant, source) is refused as a whole: nothing changes.
              if (id)
                await admin
                  .query(
                    `UPDATE kpi_data_points SET "timestamp" = "timestamp" + $2 * interval '1 millisecond' WHERE id = $1`,
                    [id, step.shiftMs],
                  )
                  .catch((error: unknown) => {
                    expect(error).toMatchObject({ code: "23505" });
                  });
            } else if (step.kind === "revalue") {
              const id = pick(ids, step.pick);
              if (id) await admin.query("UPDATE kpi_data_points SET value = $2 WHERE id = $1", [id, step.value]);
            } else if (step.kind === "delete") {
              const doomed = ids.filter((_, i) => (i + step.pick) % step.every === 0);
              await admin.query("DELETE FROM kpi_data_points WHERE id = ANY($1::uuid[])", [doomed]);
            } else {
              await setZone(step.zone);
            }
            for (const r of reads) {
              const kpiId = kpiIds[r.kpi] ?? "";
              const range = {
                kpiId,
                from: at(r.from),
                to: at(r.from + r.lengthMs),
                visibleFrom: r.visibleAfterMs === null ? null : at(r.from + r.visibleAfterMs),
              };
              const input: RollupSeriesInput =
                "unit" in r.mode
                  ? { ...range, unit: r.mode.unit, timeZone: r.mode.zone }
                  : {
                      ...range,
                      bucketWidthMs: "widthMs" in r.mode ? r.mode.widthMs : Math.ceil(r.lengthMs / r.mode.buckets),
                    };
              const { rollups, raw } = await both(input);
              expect(rollups).toEqual(raw);
            }
          }
          await expectNoRollupDrift(ctx().admin);
        },
      ),
      { seed, numRuns: 60 },
    );
  });
});

// Last: it empties the table for every test above.
describe("truncate", () => {
  test("TRUNCATE of the points empties the rollups", async () => {
    const { admin } = ctx();
    await admin.query("TRUNCATE kpi_data_points");
    const { rows } = await admin.query<{ n: number }>(
      "SELECT ((SELECT count(*) FROM kpi_rollups_hourly) + (SELECT count(*) FROM kpi_rollups_daily))::int AS n",
    );
    expect(rows[0]).toEqual({ n: 0 });
    await expectNoRollupDrift(ctx().admin);
  });
});
