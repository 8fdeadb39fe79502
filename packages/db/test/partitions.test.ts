import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createDatabase, type Database, queryRows } from "../src/client.ts";
import { createPointMonths, maintainPointPartitions } from "../src/partitions.ts";
import { sql } from "../src/query.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";
import {
  addKpi,
  arrangeTenancy,
  insertPoints,
  setWorkspaceZone,
  type Tenancy,
  expectNoRollupDrift,
} from "./fixtures.ts";

// kpi_data_points partitioned by UTC month (migration 20261130001300_partitioned_points): where
// rows land, the default partition and the worker's maintenance that empties it (without touching
// current values or rollups), retention with its rollups, and the walls: row-level security on the
// parent, no privilege for any runtime role on any partition.

// The worker's own login: the maintenance is granted to northstar_worker alone.
const ctx = useTestDatabase("worker");
let t: Tenancy;
let host: Database;

const keepEverything = { monthsAhead: 3, retentionMonths: null };

function monthName(at: Date): string {
  return `kpi_data_points_${at.getUTCFullYear()}_${String(at.getUTCMonth() + 1).padStart(2, "0")}`;
}

/** The partition that holds each point of `kpiId`, by timestamp. */
async function partitionsOf(kpiId: string): Promise<Map<string, string>> {
  const { rows } = await ctx().admin.query<{ at: Date; partition: string }>(
    `SELECT p."timestamp" AS at, p.tableoid::regclass::text AS partition FROM kpi_data_points AS p WHERE p.kpi_id = $1`,
    [kpiId],
  );
  return new Map(rows.map((row) => [row.at.toISOString(), row.partition]));
}

/** Every rollup row of `kpiId` with its row version: a row rewritten by a trigger gets a new xmin. */
async function rollupRows(kpiId: string): Promise<unknown[]> {
  const { rows } = await ctx().admin.query<Record<string, unknown>>(
    `SELECT 'hourly' AS level, r.xmin::text, r.bucket_start, r.sum::text, r.count, r.last_at FROM kpi_rollups_hourly AS r
      WHERE r.kpi_id = $1
     UNION ALL
     SELECT 'daily', r.xmin::text, r.bucket_start, r.sum::text, r.count, r.last_at FROM kpi_rollups_daily AS r
      WHERE r.kpi_id = $1
     ORDER BY 1, 3`,
    [kpiId],
  );
  return rows;
}

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
  host = createDatabase({ url: ctx().database.hostUrl, poolSize: 2 });
  // The template was migrated at some moment: whatever it left in the default partition goes first.
  await maintainPointPartitions(ctx().db, keepEverything);
});

afterAll(async () => {
  await host.close();
});

describe("where points land", () => {
  test("a point of this month is in this month's partition", async () => {
    const kpiId = await addKpi(ctx().admin, t.workspaces.a, "Landing");
    const now = new Date();
    await insertPoints(ctx().admin, t.workspaces.a, [{ kpiId, at: now, value: 1 }]);
    expect(await partitionsOf(kpiId)).toEqual(new Map([[now.toISOString(), `kpi_points.${monthName(now)}`]]));
  });

  test("an old and a far-future point land in the default partition; the maintenance moves them out untouched", async () => {
    const kpiId = await addKpi(ctx().admin, t.workspaces.a, "Odd");
    const old = new Date("2012-03-04T05:06:07.000Z");
    const ahead = new Date(Date.UTC(new Date().getUTCFullYear() + 3, 6, 1, 12));
    const recent = new Date();
    await insertPoints(ctx().admin, t.workspaces.a, [
      { kpiId, at: old, value: 7 },
      { kpiId, at: ahead, value: 9 },
      { kpiId, at: recent, value: 8 },
    ]);
    expect(await partitionsOf(kpiId)).toEqual(
      new Map([
        [old.toISOString(), "kpi_points.kpi_data_points_default"],
        [ahead.toISOString(), "kpi_points.kpi_data_points_default"],
        [recent.toISOString(), `kpi_points.${monthName(recent)}`],
      ]),
    );
    const rollupsBefore = await rollupRows(kpiId);
    const current = "SELECT current_value, current_value_at, xmin::text FROM kpis WHERE id = $1";
    const currentBefore = (await ctx().admin.query(current, [kpiId])).rows;

    const result = await maintainPointPartitions(ctx().db, keepEverything);
    expect(result).toMatchObject({ created: 2, moved: 2, dropped: 0, droppedPoints: 0, droppedRollups: 0 });
    expect(await partitionsOf(kpiId)).toEqual(
      new Map([
        [old.toISOString(), `kpi_points.${monthName(old)}`],
        [ahead.toISOString(), `kpi_points.${monthName(ahead)}`],
        [recent.toISOString(), `kpi_points.${monthName(recent)}`],
      ]),
    );
    // Not one rollup row or current value rewritten: the parent's triggers did not fire.
    expect(await rollupRows(kpiId)).toEqual(rollupsBefore);
    expect((await ctx().admin.query(current, [kpiId])).rows).toEqual(currentBefore);
    await expectNoRollupDrift(ctx().admin);
  });

  test("the maintenance is idempotent, and two at once do the work once", async () => {
    const kpiId = await addKpi(ctx().admin, t.workspaces.b, "Twice");
    await insertPoints(ctx().admin, t.workspaces.b, [{ kpiId, at: new Date("2014-02-03T00:00:00Z"), value: 1 }]);
    const results = await Promise.all([
      maintainPointPartitions(ctx().db, { monthsAhead: 5, retentionMonths: null }),
      maintainPointPartitions(ctx().db, { monthsAhead: 5, retentionMonths: null }),
    ]);
    // Months 4 and 5 ahead, and February 2014, once between them.
    expect(results.reduce((sum, each) => sum + each.created, 0)).toBe(3);
    expect(results.reduce((sum, each) => sum + each.moved, 0)).toBe(1);
    expect(await maintainPointPartitions(ctx().db, { monthsAhead: 5, retentionMonths: null })).toEqual({
      created: 0,
      moved: 0,
      dropped: 0,
      droppedPoints: 0,
      droppedRollups: 0,
    });
    await expectNoRollupDrift(ctx().admin);
  });

  test("two bulk loads creating the same months at once: each month once, neither fails", async () => {
    // Months no other test makes (the generator's two loaders raced here before the lock).
    const [first, last] = [new Date("2009-01-15T00:00:00Z"), new Date("2009-12-15T00:00:00Z")];
    const clients = await Promise.all([ctx().admin.connect(), ctx().admin.connect()]);
    try {
      const created = await Promise.all(clients.map((client) => createPointMonths(client, first, last)));
      expect(created.reduce((sum, each) => sum + each, 0)).toBe(12);
    } finally {
      for (const client of clients) client.release();
    }
    const { rows } = await ctx().admin.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'public.kpi_data_points'::regclass AND c.relname LIKE 'kpi_data_points_2009_%'`,
    );
    expect(rows[0]?.count).toBe(12);
  });

  test("arguments out of range are refused", async () => {
    await expect(maintainPointPartitions(ctx().db, { monthsAhead: -1, retentionMonths: null })).rejects.toThrow();
    await expect(maintainPointPartitions(ctx().db, { monthsAhead: 3, retentionMonths: 0 })).rejects.toThrow();
  });
});

describe("the walls", () => {
  test("through the parent, a tenant reads only its own points", async () => {
    const kpiB = await addKpi(ctx().admin, t.workspaces.b, "Private");
    await insertPoints(ctx().admin, t.workspaces.b, [{ kpiId: kpiB, at: new Date("2012-05-01T00:00:00Z"), value: 3 }]);
    const seen = sql<{ n: number }>`SELECT count(*)::int AS n FROM kpi_data_points WHERE kpi_id = ${kpiB}::uuid`;
    // Bob is a member of A only; the worker in A's context.
    const bob = host.reader({ userId: t.users.bob, workspaceId: t.workspaces.b });
    expect(await queryRows(bob, seen)).toEqual([{ n: 0 }]);
    expect(await ctx().db.withWorkerContext(t.workspaces.a, (tx) => queryRows(tx, seen))).toEqual([{ n: 0 }]);
    expect(await ctx().db.withWorkerContext(t.workspaces.b, (tx) => queryRows(tx, seen))).toEqual([{ n: 1 }]);
    const carol = host.reader({ userId: t.users.carol, workspaceId: t.workspaces.b });
    expect(await queryRows(carol, seen)).toEqual([{ n: 1 }]);
  });

  test("no runtime role has any privilege on a partition or on their schema", async () => {
    const { rows } = await ctx().admin.query<{ partition: string; role: string; table: boolean; schema: boolean }>(
      `SELECT c.oid::regclass::text AS partition, r.rolname AS role,
              has_table_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') AS table,
              has_schema_privilege(r.oid, 'kpi_points', 'USAGE, CREATE') AS schema
         FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid,
              pg_roles AS r
        WHERE i.inhparent = 'kpi_data_points'::regclass
          AND r.rolname IN ('northstar_app', 'northstar_worker', 'northstar_definer', 'northstar_queue')`,
    );
    expect(rows.length).toBeGreaterThan(4 * 5);
    expect(rows.filter((row) => row.table || row.schema)).toEqual([]);
    // And as the worker's own login, reaching for one directly.
    await expect(
      ctx().db.withWorkerContext(t.workspaces.a, (tx) =>
        queryRows(tx, sql`SELECT count(*) FROM kpi_points.kpi_data_points_default`),
      ),
    ).rejects.toMatchObject({ kind: "permission_denied" });
  });

  test("only the worker may run the maintenance", async () => {
    const { rows } = await ctx().admin.query<{ role: string }>(
      `SELECT r.rolname AS role FROM pg_roles AS r
        WHERE NOT r.rolcanlogin AND r.rolname LIKE 'northstar\\_%'
          AND has_function_privilege(r.oid, 'app.maintain_point_partitions(integer, integer)', 'EXECUTE')
        ORDER BY 1`,
    );
    expect(rows.map((row) => row.role)).toEqual(["northstar_worker"]);
    await expect(
      host.withContext({ userId: t.users.alice, workspaceId: t.workspaces.a }, (tx) =>
        queryRows(tx, sql`SELECT * FROM app.maintain_point_partitions(3, NULL)`),
      ),
    ).rejects.toMatchObject({ kind: "permission_denied" });
  });
});

describe("retention", () => {
  test("drops the months before the window with their rollups; a local day across the cutoff is recomputed", async () => {
    const workspaceId = t.workspaces.b;
    await setWorkspaceZone(ctx().admin, workspaceId, "America/New_York");
    const kpiId = await addKpi(ctx().admin, workspaceId, "Retained");
    const now = new Date();
    const cutoff = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 12, 1));
    const hour = 3_600_000;
    // The last hours before the cutoff and the first after it share a New York day.
    await insertPoints(ctx().admin, workspaceId, [
      { kpiId, at: new Date(cutoff.getTime() - 2 * hour), value: 1 },
      { kpiId, at: new Date(cutoff.getTime() - 30 * 86_400_000), value: 2 },
      { kpiId, at: new Date(cutoff.getTime() + 2 * hour), value: 4 },
      { kpiId, at: now, value: 8 },
    ]);
    await maintainPointPartitions(ctx().db, keepEverything);
    const before = await ctx().admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM kpi_data_points WHERE "timestamp" < $1`,
      [cutoff],
    );
    const partitionsBefore = await ctx().admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'kpi_data_points'::regclass AND c.relname <> 'kpi_data_points_default'
          AND make_timestamptz(substr(c.relname, 17, 4)::int, substr(c.relname, 22, 2)::int, 1, 0, 0, 0, 'UTC') < $1`,
      [cutoff],
    );

    const result = await maintainPointPartitions(ctx().db, { monthsAhead: 3, retentionMonths: 12 });
    expect(result.dropped).toBe(partitionsBefore.rows[0]?.n);
    expect(result.droppedPoints).toBe(before.rows[0]?.n);
    expect(result.droppedRollups).toBeGreaterThan(0);
    const left = await ctx().admin.query<{ value: number }>(
      `SELECT value FROM kpi_data_points WHERE kpi_id = $1 ORDER BY "timestamp"`,
      [kpiId],
    );
    expect(left.rows.map((row) => row.value)).toEqual([4, 8]);
    const oldRollups = await ctx().admin.query<{ n: number }>(
      `SELECT ((SELECT count(*) FROM kpi_rollups_hourly WHERE bucket_start < $1)
             + (SELECT count(*) FROM kpi_rollups_daily WHERE bucket_start < $1 AND count <> 1))::int AS n`,
      [cutoff],
    );
    expect(oldRollups.rows).toEqual([{ n: 0 }]);
    await expectNoRollupDrift(ctx().admin);
    // Again: nothing left to drop.
    expect(await maintainPointPartitions(ctx().db, { monthsAhead: 3, retentionMonths: 12 })).toMatchObject({
      dropped: 0,
      droppedPoints: 0,
      droppedRollups: 0,
    });
  });
});
