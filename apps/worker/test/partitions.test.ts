import { queueNames } from "@northstar/db/queue";
import { useTestDatabase } from "@northstar/db/testing/vitest";
import { describe, expect, test } from "vitest";
import { parseWorkerEnv } from "../src/env.ts";
import { createTenant, keyringEnv, startTestWorker, waitFor } from "./support.ts";

// The worker's half of kpi_data_points' partitions (packages/db/src/partitions.ts): it maintains
// them at start and on its daily schedule, with the retention window its env gives, and logs
// counts only.

const context = useTestDatabase("worker");

function monthPartition(monthsFromNow: number): string {
  const now = new Date();
  const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + monthsFromNow, 1));
  return `kpi_points.kpi_data_points_${month.getUTCFullYear()}_${String(month.getUTCMonth() + 1).padStart(2, "0")}`;
}

async function partitionExists(name: string): Promise<boolean> {
  const { rows } = await context().admin.query<{ found: boolean }>("SELECT to_regclass($1) IS NOT NULL AS found", [
    name,
  ]);
  return rows[0]?.found ?? false;
}

describe("point partitions", () => {
  test("the retention window and the schedule come from the env; unset keeps every point", () => {
    const base = { NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: keyringEnv };
    expect(parseWorkerEnv(base).pointPartitions).toEqual({ cron: "41 2 * * *", monthsAhead: 3, retentionMonths: null });
    expect(
      parseWorkerEnv({ ...base, NORTHSTAR_POINTS_RETENTION_MONTHS: "" }).pointPartitions.retentionMonths,
    ).toBeNull();
    expect(
      parseWorkerEnv({ ...base, NORTHSTAR_POINTS_RETENTION_MONTHS: "24", WORKER_POINT_PARTITIONS_AHEAD_MONTHS: "6" })
        .pointPartitions,
    ).toMatchObject({ monthsAhead: 6, retentionMonths: 24 });
    for (const bad of ["0", "-3", "1.5", "twelve"]) {
      expect(() => parseWorkerEnv({ ...base, NORTHSTAR_POINTS_RETENTION_MONTHS: bad })).toThrow(
        /NORTHSTAR_POINTS_RETENTION_MONTHS/,
      );
    }
  });

  test("at start the worker creates the months ahead and moves points out of the default partition; the daily job drops the months before the window", async () => {
    const { admin } = context();
    const tenant = await createTenant(admin, 1);
    const kpiId = tenant.kpiIds[0] ?? "";
    await admin.query(
      `INSERT INTO kpi_data_points (workspace_id, kpi_id, value, "timestamp") VALUES ($1, $2, 5, '2013-06-07T08:00:00Z')`,
      [tenant.workspaceId, kpiId],
    );
    expect(await partitionExists(monthPartition(7))).toBe(false);
    const worker = await startTestWorker(context(), {
      pointPartitions: { cron: "0 0 1 1 *", monthsAhead: 7, retentionMonths: null },
    });
    try {
      // startWorker resolves after its start-up maintenance.
      expect(await partitionExists(monthPartition(7))).toBe(true);
      const { rows } = await admin.query<{ partition: string }>(
        "SELECT tableoid::regclass::text AS partition FROM kpi_data_points WHERE kpi_id = $1 AND \"timestamp\" < '2014-01-01'",
        [kpiId],
      );
      expect(rows).toEqual([{ partition: "kpi_points.kpi_data_points_2013_06" }]);
      const started = worker.logs.lines().find((line) => line.msg === "maintained point partitions");
      expect(started).toMatchObject({ moved: 1, dropped: 0, retentionMonths: null });
    } finally {
      await worker.stop();
    }

    // The same worker with a retention window, its daily job sent now rather than at 02:41.
    const retaining = await startTestWorker(context(), {
      pointPartitions: { cron: "0 0 1 1 *", monthsAhead: 3, retentionMonths: 120 },
    });
    try {
      // Logged before startWorker resolved.
      const first = retaining.logs.lines().find((line) => line.msg === "maintained point partitions");
      expect(first).toMatchObject({ dropped: 1, droppedPoints: 1, retentionMonths: 120 });
      expect(await partitionExists("kpi_points.kpi_data_points_2013_06")).toBe(false);
      await retaining.boss.send(queueNames.pointPartitions, {});
      const lines = await waitFor(
        () => {
          const found = retaining.logs.lines().filter((line) => line.msg === "maintained point partitions");
          return Promise.resolve(found.length >= 2 ? found : undefined);
        },
        120_000,
        "the daily job's log line",
      );
      expect(lines[1]).toMatchObject({ created: 0, moved: 0, dropped: 0, droppedPoints: 0 });
      // Counts, never values.
      expect(JSON.stringify(lines)).not.toContain('"value"');
    } finally {
      await retaining.stop();
    }
  });
});
