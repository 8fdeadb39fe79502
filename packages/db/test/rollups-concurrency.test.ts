import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  addKpi as addOperatorKpi,
  addWorkspace,
  arrangeTenancy,
  expectNoRollupDrift,
  rollupRowCounts,
  type Tenancy,
} from "./fixtures.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";

// Two real transactions writing the same rollup bucket at once, held open by the test: the second
// is seen waiting on a lock (pg_stat_activity) before the first commits. Whatever the order, no
// update is lost: the rollups equal the raw points afterwards.

const ctx = useTestDatabase();
let t: Tenancy;
const clients: pg.Client[] = [];

const hour = 3_600_000;
const base = new Date("2026-06-01T00:00:00.000Z").getTime();
const at = (ms: number) => new Date(base + ms);

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.end()));
});

async function connect(): Promise<{ client: pg.Client; pid: number }> {
  const client = new pg.Client({ connectionString: ctx().database.adminUrl });
  await client.connect();
  clients.push(client);
  const { rows } = await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
  return { client, pid: rows[0]?.pid ?? 0 };
}

async function waitEvent(pid: number): Promise<string | null> {
  const { rows } = await ctx().admin.query<{ wait: string | null }>(
    "SELECT wait_event_type AS wait FROM pg_stat_activity WHERE pid = $1",
    [pid],
  );
  return rows[0]?.wait ?? null;
}

/**
 * `first` runs in an open transaction; `second` starts in another and must block on a lock; then
 * the first commits, the second finishes and commits.
 */
async function race(first: (client: pg.Client) => Promise<unknown>, second: (client: pg.Client) => Promise<unknown>) {
  const a = await connect();
  const b = await connect();
  await a.client.query("BEGIN");
  await first(a.client);
  await b.client.query("BEGIN");
  const pending = second(b.client).then(
    () => null,
    (error: unknown) => error,
  );
  await expect.poll(() => waitEvent(b.pid)).toBe("Lock");
  await a.client.query("COMMIT");
  expect(await pending).toBeNull();
  await b.client.query("COMMIT");
}

/**
 * A KPI whose newest point lies days after the racing ones: kpis.current_value stays out of the
 * race (its trigger would otherwise serialise two writers on the KPI's row by itself, and the
 * rollups' own locking would go untested).
 */
async function addKpi(): Promise<string> {
  const id = randomUUID();
  await ctx().admin.query("INSERT INTO kpis (id, workspace_id, name) VALUES ($1, $2, $3)", [
    id,
    t.workspaces.a,
    `Race ${id.slice(0, 8)}`,
  ]);
  await ctx().admin.query(insertSql, [t.workspaces.a, id, 1000, at(10 * 24 * hour)]);
  return id;
}

const insertSql = `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp") VALUES ($1, $2, $3, $4)`;
const insert = (kpiId: string, ms: number, value: number) => (client: pg.Client) =>
  client.query(insertSql, [t.workspaces.a, kpiId, value, at(ms)]);
/** A point committed before the race starts. */
const given = (kpiId: string, ms: number, value: number) =>
  ctx().admin.query(insertSql, [t.workspaces.a, kpiId, value, at(ms)]);

async function hourRow(kpiId: string, ms: number) {
  const { rows } = await ctx().admin.query<{ count: number; min: number; max: number; last: number; sum: string }>(
    `SELECT count, min, max, last_value AS last, sum::text AS sum FROM kpi_rollups_hourly
      WHERE kpi_id = $1 AND bucket_start = $2`,
    [kpiId, at(ms)],
  );
  return rows[0];
}

describe("two transactions on the same bucket", () => {
  test("two inserts: both additions count", async () => {
    const kpiId = await addKpi();
    await race(insert(kpiId, 60_000, 1), insert(kpiId, 120_000, 2));
    expect(await hourRow(kpiId, 0)).toEqual({ count: 2, min: 1, max: 2, last: 2, sum: "3" });
    await expectNoRollupDrift(ctx().admin, { kpiId });
  });

  test("an insert, then a delete of the bucket's min that recomputes it: the insert is in the result", async () => {
    const kpiId = await addKpi();
    await given(kpiId, 60_000, 1);
    await race(insert(kpiId, 120_000, 5), (client) =>
      client.query("DELETE FROM kpi_data_points WHERE kpi_id = $1 AND value = 1", [kpiId]),
    );
    expect(await hourRow(kpiId, 0)).toEqual({ count: 1, min: 5, max: 5, last: 5, sum: "5" });
    await expectNoRollupDrift(ctx().admin, { kpiId });
  });

  test("a delete that recomputes the bucket, then an insert: the insert adds to the recomputed row", async () => {
    const kpiId = await addKpi();
    await given(kpiId, 60_000, 1);
    await given(kpiId, 90_000, 7);
    await race(
      (client) => client.query("DELETE FROM kpi_data_points WHERE kpi_id = $1 AND value = 7", [kpiId]),
      insert(kpiId, 120_000, 3),
    );
    expect(await hourRow(kpiId, 0)).toEqual({ count: 2, min: 1, max: 3, last: 3, sum: "4" });
    await expectNoRollupDrift(ctx().admin, { kpiId });
  });

  test("an insert opens a new bucket while an update moves a point into it", async () => {
    const kpiId = await addKpi();
    await given(kpiId, 60_000, 1);
    await race(insert(kpiId, 5 * hour + 60_000, 2), (client) =>
      client.query(`UPDATE kpi_data_points SET "timestamp" = $2 WHERE kpi_id = $1 AND value = 1`, [
        kpiId,
        at(5 * hour + 120_000),
      ]),
    );
    expect(await hourRow(kpiId, 0)).toBeUndefined();
    expect(await hourRow(kpiId, 5 * hour)).toEqual({ count: 2, min: 1, max: 2, last: 1, sum: "3" });
    await expectNoRollupDrift(ctx().admin, { kpiId });
  });

  test("an insert in flight while the workspace's time zone changes, and the other way round", async () => {
    const kpiId = await addKpi();
    const setZone = (zone: string) => (client: pg.Client) =>
      client.query("UPDATE workspaces SET time_zone = $2 WHERE id = $1", [t.workspaces.a, zone]);
    await race(insert(kpiId, 20 * hour, 1), setZone("Asia/Kolkata"));
    await expectNoRollupDrift(ctx().admin, { kpiId });
    await race(setZone("America/New_York"), insert(kpiId, 21 * hour, 2));
    await expectNoRollupDrift(ctx().admin, { kpiId });
    const { rows } = await ctx().admin.query<{ start: Date; count: number }>(
      "SELECT bucket_start AS start, count FROM kpi_rollups_daily WHERE kpi_id = $1",
      [kpiId],
    );
    expect(rows).toContainEqual({ start: new Date("2026-06-01T04:00:00.000Z"), count: 2 });
  });
});

// The rollups have no foreign key to their KPI (migration 20261130001500_rollups_derived_keys): a
// trigger on kpis removes a deleted KPI's rows. A rebuild that reads the points while a workspace
// (and so its KPIs) goes must not leave rows for them, in either order.
describe("a workspace deleted while its rollups are rebuilt", () => {
  const rebuild = (workspaceId: string) => (client: pg.Client) =>
    client.query("SELECT app_private.kpi_rollups_rebuild($1::uuid, NULL, true)", [workspaceId]);
  const remove = (workspaceId: string) => (client: pg.Client) =>
    client.query("DELETE FROM workspaces WHERE id = $1", [workspaceId]);
  async function doomed(): Promise<{ workspaceId: string; kpiId: string }> {
    const workspaceId = await addWorkspace(ctx().admin, t.users.alice);
    const kpiId = await addOperatorKpi(ctx().admin, workspaceId, "Doomed");
    await ctx().admin.query(insertSql, [workspaceId, kpiId, 1, at(60_000)]);
    return { workspaceId, kpiId };
  }
  const rollupRows = (kpiId: string) => rollupRowCounts(ctx().admin, kpiId);

  test("the rebuild first, then the delete: no rollup row outlives the KPIs", async () => {
    const { workspaceId, kpiId } = await doomed();
    expect(await rollupRows(kpiId)).toEqual({ hourly: 1, daily: 1 });
    await race(rebuild(workspaceId), remove(workspaceId));
    expect(await rollupRows(kpiId)).toEqual({ hourly: 0, daily: 0 });
  });

  // The order that deadlocked with the cascade's trigger after the KPIs' rows: the delete arrives
  // while the rebuild holds the workspace's lock and has yet to bump the versions.
  test("the delete arrives mid-rebuild: it waits for the rebuild, and neither fails", async () => {
    const { workspaceId, kpiId } = await doomed();
    const rebuilding = await connect();
    const deleting = await connect();
    await rebuilding.client.query("BEGIN");
    await rebuilding.client.query("SELECT pg_advisory_xact_lock(app_private.kpi_rollups_lock_key($1))", [workspaceId]);
    await deleting.client.query("BEGIN");
    const deleted = remove(workspaceId)(deleting.client).then(
      () => null,
      (error: unknown) => error,
    );
    await expect.poll(() => waitEvent(deleting.pid)).toBe("Lock");
    await rebuild(workspaceId)(rebuilding.client);
    await rebuilding.client.query("COMMIT");
    expect(await deleted).toBeNull();
    await deleting.client.query("COMMIT");
    expect(await rollupRows(kpiId)).toEqual({ hourly: 0, daily: 0 });
    await expectNoRollupDrift(ctx().admin);
  });

  test("the delete first, then the rebuild: the rebuild writes nothing for them", async () => {
    const { workspaceId, kpiId } = await doomed();
    await race(remove(workspaceId), rebuild(workspaceId));
    expect(await rollupRows(kpiId)).toEqual({ hourly: 0, daily: 0 });
    await expectNoRollupDrift(ctx().admin);
  });
});
