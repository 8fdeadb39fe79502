import type pg from "pg";
import { type Database, queryRows } from "./client.ts";
import { sql } from "./query.ts";

// kpi_data_points is partitioned by UTC month (migration 20261130001300_partitioned_points). The
// worker keeps the months ahead created, moves points that landed in the default partition into
// months of their own and, with a retention window, drops the months before it with their rollups
// (app.maintain_point_partitions). Owner tools that bulk-load a known range create its months
// first, so that their rows never pass through the default partition.

export interface PointPartitionSettings {
  /** Months created ahead of the current one. */
  monthsAhead: number;
  /** Whole months of points kept before the current month; null keeps every point. */
  retentionMonths: number | null;
}

/** What one maintenance did: counts only. */
export interface PointMaintenance {
  /** Monthly partitions created (ahead, or for points found in the default partition). */
  created: number;
  /** Points moved from the default partition into their month's partition. */
  moved: number;
  /** Monthly partitions dropped by the retention window. */
  dropped: number;
  /** Points those partitions (and the default partition, before the window) held. */
  droppedPoints: number;
  /** Rollup rows (hourly and daily) of the time before the window, deleted with them. */
  droppedRollups: number;
}

export const defaultMonthsAhead = 3;

/** Runs the maintenance as northstar_worker, the one role it is granted to; safe to run concurrently. */
export async function maintainPointPartitions(
  database: Database,
  settings: PointPartitionSettings,
  options: { transactionTimeoutMs?: number } = {},
): Promise<PointMaintenance> {
  const rows = await database.withWorkerMaintenance(
    (tx) =>
      queryRows(
        tx,
        sql<PointMaintenance>`SELECT m.created, m.moved::float8 AS moved, m.dropped,
          m.dropped_points::float8 AS "droppedPoints", m.dropped_rollups::float8 AS "droppedRollups"
          FROM app.maintain_point_partitions(${settings.monthsAhead}::int, ${settings.retentionMonths}::int) AS m`,
      ),
    options,
  );
  const [result] = rows;
  if (!result) throw new Error("app.maintain_point_partitions returned no row");
  return result;
}

/**
 * Creates the monthly partitions from `from` through `to` (the owner's connection: bulk loads and
 * the data generator). Returns how many were missing.
 */
export async function createPointMonths(client: pg.ClientBase, from: Date, to: Date): Promise<number> {
  const { rows } = await client.query<{ created: number }>(
    "SELECT app_private.kpi_points_create_months($1, $2) AS created",
    [from, to],
  );
  return rows[0]?.created ?? 0;
}
