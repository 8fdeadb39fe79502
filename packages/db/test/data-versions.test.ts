import { beforeAll, describe, expect, test, vi } from "vitest";
import { kpiDataVersionQuery } from "../src/chart.ts";
import { createDatabase, queryRows, type RequestContext } from "../src/client.ts";
import { rebuildRollups } from "../src/rollups.ts";
import { operatorPool } from "../src/testing/operator.ts";
import { useTestDatabase } from "../src/testing/use-test-database.ts";
import {
  addKpi as addOperatorKpi,
  addWorkspace,
  arrangeTenancy,
  dstWindowStart,
  expectNoRollupDrift,
  insertPoints as insertOperatorPoints,
  setWorkspaceZone,
  type Tenancy,
} from "./fixtures.ts";

// The version of each KPI's chart data (migration kpi_data_versions): every write to what a chart
// reads gives the KPI a new version in the same transaction, whoever writes and however; other
// KPIs keep theirs; members read only their own workspace's.

const ctx = useTestDatabase();
let t: Tenancy;
let alice: RequestContext;

const hour = 3_600_000;
const at = (ms: number) => new Date(dstWindowStart + ms);

const addKpi = (workspaceId = t.workspaces.a) => addOperatorKpi(ctx().admin, workspaceId, "Versioned");
const insertPoints = (kpiId: string, values: number[], workspaceId = t.workspaces.a) =>
  insertOperatorPoints(
    ctx().admin,
    workspaceId,
    values.map((value, index) => ({ kpiId, at: at(index * hour), value })),
  );

/** The KPI's version as its workspace's member reads it (null: no row). */
async function versionOf(kpiId: string, reader: RequestContext = alice): Promise<bigint | null> {
  const rows = await queryRows(ctx().db.reader(reader), kpiDataVersionQuery(reader.workspaceId ?? "", kpiId));
  return rows[0] ? BigInt(rows[0].version) : null;
}

/** Runs `write`, then expects the KPI's version to have grown (and returns it). */
async function expectBumped(kpiId: string, write: () => Promise<unknown>): Promise<bigint> {
  const before = await versionOf(kpiId);
  await write();
  const after = await versionOf(kpiId);
  expect(after).not.toBeNull();
  if (before !== null) expect(after).toBeGreaterThan(before);
  return after ?? 0n;
}

beforeAll(async () => {
  t = await arrangeTenancy(ctx().admin);
  alice = { userId: t.users.alice, workspaceId: t.workspaces.a };
});

describe("kpi_data_versions", () => {
  test("a KPI without writes has no version; its first points give it one", async () => {
    const kpiId = await addKpi();
    expect(await versionOf(kpiId)).toBeNull();
    await expectBumped(kpiId, () => insertPoints(kpiId, [1, 2, 3]));
  });

  test("inserts, late points, updates and deletes each bump the KPI, and only it", async () => {
    const kpiId = await addKpi();
    const other = await addKpi();
    await insertPoints(other, [5]);
    const untouched = await versionOf(other);
    const { admin } = ctx();
    await expectBumped(kpiId, () => insertPoints(kpiId, [1, 2, 3]));
    await expectBumped(kpiId, () =>
      admin.query(`INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp") VALUES ($1, $2, 9, $3)`, [
        t.workspaces.a,
        kpiId,
        at(-30 * 24 * hour),
      ]),
    );
    await expectBumped(kpiId, () =>
      admin.query("UPDATE kpi_data_points SET value = value + 1 WHERE kpi_id = $1", [kpiId]),
    );
    await expectBumped(kpiId, () =>
      admin.query("DELETE FROM kpi_data_points WHERE kpi_id = $1 AND value = 2", [kpiId]),
    );
    // The last point goes: the KPI has no rollup rows left, and still a newer version.
    await expectBumped(kpiId, () => admin.query("DELETE FROM kpi_data_points WHERE kpi_id = $1", [kpiId]));
    expect(await versionOf(other)).toBe(untouched);
  });

  test("two writers of one KPI, each over several statements, do not deadlock on its version", async () => {
    // Found in review: with the version row locked after the daily rows, a transaction holding it
    // from one statement waited in its next for a daily row that the other writer held while it
    // waited for the version row.
    const kpiId = await addKpi();
    const { admin } = ctx();
    await insertPoints(
      kpiId,
      Array.from({ length: 72 }, () => 1),
    ); // three days, the newest last
    const point = (daysBefore: number, value: number, hours = 0) =>
      `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp")
       VALUES ('${t.workspaces.a}', '${kpiId}', ${value}, '${at(hours * hour - 24 * hour * daysBefore).toISOString()}')`;
    // Three connections: the two writers and one that watches them (the operator pool holds two).
    const writers = operatorPool(ctx().database.adminUrl, 3);
    const first = await writers.connect();
    const second = await writers.connect();
    try {
      await second.query("BEGIN");
      await second.query(point(3, 2)); // a late point, on an older day than the first writer's
      await first.query("BEGIN");
      const { rows } = await first.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
      const blocked = first.query(point(5, 3));
      // The first writer now waits for the version row (and holds no rollup row meanwhile).
      await vi.waitUntil(
        async () => {
          const waiting = await writers.query(
            "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
            [rows[0]?.pid],
          );
          return waiting.rowCount === 1;
        },
        { timeout: 60_000, interval: 20 },
      );
      await second.query(point(5, 4, 1)); // the first writer's day, another hour
      await second.query("COMMIT");
      await blocked;
      await first.query("COMMIT");
    } finally {
      first.release();
      second.release();
      await writers.end();
    }
    const { rows } = await admin.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM kpi_data_points WHERE kpi_id = $1",
      [kpiId],
    );
    expect(rows[0]).toEqual({ n: 75 });
    await expectNoRollupDrift(admin, { kpiId });
  });

  test("the app's and the worker's writes bump it, and neither can write a version", async () => {
    const kpiId = await addKpi();
    const { db, database } = ctx();
    await expectBumped(kpiId, () =>
      db.withContext(
        { userId: t.users.bob, workspaceId: t.workspaces.a },
        (tx) => tx.$executeRaw`INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp")
                               VALUES (${t.workspaces.a}::uuid, ${kpiId}::uuid, 3, ${at(hour)}::timestamptz)`,
      ),
    );
    const worker = createDatabase({ url: database.workerUrl, poolSize: 1 });
    try {
      await expectBumped(kpiId, () =>
        worker.withWorkerContext(
          t.workspaces.a,
          (tx) => tx.$executeRaw`INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp", source)
                                 VALUES (${t.workspaces.a}::uuid, ${kpiId}::uuid, 8, ${at(2 * hour)}::timestamptz, 'IMPORT')`,
        ),
      );
      const forged = worker.withWorkerContext(
        t.workspaces.a,
        (tx) => tx.$executeRaw`UPDATE kpi_data_versions SET version = 0 WHERE kpi_id = ${kpiId}::uuid`,
      );
      await expect(forged).rejects.toMatchObject({ kind: "permission_denied" });
    } finally {
      await worker.close();
    }
    const forged = db.withContext(
      alice,
      (tx) => tx.$executeRaw`DELETE FROM kpi_data_versions WHERE kpi_id = ${kpiId}::uuid`,
    );
    await expect(forged).rejects.toMatchObject({ kind: "permission_denied" });
  });

  test("a rebuild and a zone change bump every KPI they rewrite", async () => {
    const kpiId = await addKpi();
    await insertPoints(kpiId, [1, 2]);
    await expectBumped(kpiId, async () => {
      const client = await ctx().admin.connect();
      try {
        await rebuildRollups(client, { workspaceId: t.workspaces.a, kpiId });
      } finally {
        client.release();
      }
    });
    await expectBumped(kpiId, () => setWorkspaceZone(ctx().admin, t.workspaces.a, "Asia/Kolkata"));
  });

  test("deleting a workspace deletes its KPIs' points and versions with it", async () => {
    const { admin } = ctx();
    const workspaceId = await addWorkspace(admin, t.users.dave);
    const kpiId = await addKpi(workspaceId);
    await insertPoints(kpiId, [1, 2], workspaceId);
    await admin.query("DELETE FROM workspaces WHERE id = $1", [workspaceId]);
    const { rows } = await admin.query("SELECT count(*)::int AS n FROM kpi_data_versions WHERE kpi_id = $1", [kpiId]);
    expect(rows[0]).toEqual({ n: 0 });
  });

  test("another workspace's versions read as none", async () => {
    const kpiId = await addKpi(t.workspaces.b);
    await insertPoints(kpiId, [1], t.workspaces.b);
    // Alice is an ADMIN of B, but her context here is A; Bob is no member of B at all.
    expect(await queryRows(ctx().db.reader(alice), kpiDataVersionQuery(t.workspaces.b, kpiId))).toEqual([]);
    expect(await versionOf(kpiId, { userId: t.users.bob, workspaceId: t.workspaces.b })).toBeNull();
    expect(await versionOf(kpiId, { userId: t.users.alice, workspaceId: t.workspaces.b })).not.toBeNull();
  });
});

// Last: it empties the points of every test above.
describe("truncate", () => {
  test("TRUNCATE of the points bumps every KPI that had rollups", async () => {
    const kpiId = await addKpi();
    await insertPoints(kpiId, [1]);
    await expectBumped(kpiId, () => ctx().admin.query("TRUNCATE kpi_data_points"));
  });
});
