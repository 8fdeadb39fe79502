import { Prisma } from "./generated/prisma/client.ts";

// The one way a range of a KPI's points is assembled from the rollups (migration
// 20261130000700_rollups), shared by the chart reads (src/series.ts, src/rollups.ts) and the
// dashboard's period values: daily rows where they lie wholly inside the range and inside one
// bucket, hourly rows where they fill the gaps between those days and lie inside one bucket, and
// the raw points of every other hour that meets a gap, clipped to it. Each point of the range is
// then counted exactly once, whatever the bucketing, so the answer is the raw aggregation's.
// And the dashboard's case, a period from a local midnight as one bucket, in a few index ranges.

export interface RollupRange {
  /** The KPI, as a uuid expression (a bind parameter, or a column of an outer query). */
  kpiId: Prisma.Sql;
  /** Its workspace, when the caller knows it: the rollups' primary keys lead with it. */
  workspaceId?: Prisma.Sql;
  /** Inclusive start and exclusive end, as timestamptz expressions (evaluated once). */
  from: Prisma.Sql;
  to: Prisma.Sql;
  /** The bucket an instant falls in: the same expression for raw points and rollup rows. */
  bucket: (instant: Prisma.Sql) => Prisma.Sql;
  /**
   * Buckets are local days of this zone: a daily row written in it is a day of it already, so its
   * own start is its bucket (spares the calendar arithmetic on every row).
   */
  dayZone?: string;
}

/**
 * The WITH entries (no leading WITH) that end in `parts (start, sum, count, min, max, last_at,
 * last_value)`: one row per rollup row or raw point used, `start` its bucket, `sum` numeric.
 * Aggregate them with partFigures, grouped by `start`.
 */
export function rollupPartsSql(range: RollupRange): Prisma.Sql {
  const { kpiId } = range;
  // Under row-level security only leakproof conditions reach an index: the bounds (often
  // expressions such as date_trunc in a zone) enter every scan as plain values, via `span`, and
  // the hours' probe start is a column of `gaps` rather than an expression in the join.
  const from = Prisma.sql`(SELECT s.lo FROM span AS s)`;
  const to = Prisma.sql`(SELECT s.hi FROM span AS s)`;
  const sameWorkspace = (alias: string) =>
    range.workspaceId ? Prisma.sql`${Prisma.raw(alias)}.workspace_id = ${range.workspaceId} AND` : Prisma.empty;
  const bucket = (instant: string) => range.bucket(Prisma.raw(instant));
  const dayStart = (computed: Prisma.Sql) =>
    range.dayZone === undefined
      ? computed
      : Prisma.sql`CASE WHEN d.time_zone = ${range.dayZone}::text THEN d.bucket_start ELSE ${computed} END`;
  return Prisma.sql`
    span AS MATERIALIZED (SELECT ${range.from} AS lo, ${range.to} AS hi),
    days AS MATERIALIZED (
      SELECT d.bucket_start, d.bucket_end, d.sum, d.count, d.min, d.max, d.last_at, d.last_value,
             ${dayStart(bucket("d.bucket_start"))} AS start,
             ${dayStart(bucket("d.bucket_end - interval '1 microsecond'"))} AS end_start
        FROM kpi_rollups_daily AS d
       WHERE ${sameWorkspace("d")} d.kpi_id = ${kpiId}
         AND d.bucket_start >= ${from} AND d.bucket_start < ${to} AND d.bucket_end <= ${to}
    ), good_days AS (
      -- Each bucket expression computed once per row (above), not once per use.
      SELECT * FROM days AS d WHERE d.start = d.end_start
    ), edges AS (
      SELECT coalesce(lag(g.bucket_end) OVER (ORDER BY g.bucket_start), ${from}) AS gap_start, g.bucket_start AS gap_end
        FROM good_days AS g
      UNION ALL
      SELECT coalesce(max(g.bucket_end), ${from}), ${to} FROM good_days AS g
    ), gaps AS MATERIALIZED (
      SELECT e.gap_start, e.gap_end, e.gap_start - interval '1 hour' AS probe_start
        FROM edges AS e WHERE e.gap_start < e.gap_end
    ), hours AS MATERIALIZED (
      SELECT h.bucket_start, h.sum, h.count, h.min, h.max, h.last_at, h.last_value,
             greatest(h.bucket_start, g.gap_start) AS part_start,
             least(h.bucket_start + interval '1 hour', g.gap_end) AS part_end,
             (h.bucket_start >= g.gap_start AND h.bucket_start + interval '1 hour' <= g.gap_end
              AND ${bucket("h.bucket_start")} = ${bucket("h.bucket_start + interval '59 minutes 59.999999 seconds'")}) AS whole
        FROM gaps AS g
       CROSS JOIN LATERAL (
         -- OFFSET 0 keeps this a subquery the planner does not merge into a join: its bounds are
         -- then parameters, estimated as one narrow range (0.5% of the KPI) rather than as two
         -- independent inequalities (11%). An estimate that large, times the points per hour
         -- below, costs a JIT compilation of tens of milliseconds on every call.
         SELECT h.bucket_start, h.sum, h.count, h.min, h.max, h.last_at, h.last_value
           FROM kpi_rollups_hourly AS h
          WHERE ${sameWorkspace("h")} h.kpi_id = ${kpiId} AND h.bucket_start > g.probe_start AND h.bucket_start < g.gap_end
         OFFSET 0) AS h
    ), parts AS (
      SELECT g.start, g.sum, g.count, g.min, g.max, g.last_at, g.last_value
        FROM good_days AS g
      UNION ALL
      SELECT ${bucket("h.bucket_start")}, h.sum, h.count, h.min, h.max, h.last_at, h.last_value
        FROM hours AS h WHERE h.whole
      UNION ALL
      SELECT ${bucket('p."timestamp"')}, p.value::numeric, 1, p.value, p.value, p."timestamp", p.value
        FROM hours AS h
       CROSS JOIN LATERAL (
         SELECT p."timestamp", p.value
           FROM kpi_data_points AS p
          WHERE ${sameWorkspace("p")} p.kpi_id = ${kpiId} AND p."timestamp" >= h.part_start AND p."timestamp" < h.part_end
         OFFSET 0) AS p
       WHERE NOT h.whole
    )`;
}

/**
 * A bucket's figures over its `parts` rows: sum (numeric, rounded once to float8), avg (that sum
 * over the count), min, max, last (the newest part's last value; of equal instants the smallest)
 * and count; all null but count (0) when there are no parts.
 */
export const partFigures = Prisma.sql`
  sum(sum)::float8 AS sum, (sum(sum) / nullif(sum(count), 0))::float8 AS avg, min(min) AS min, max(max) AS max,
  (min(ARRAY[-date_part('epoch', last_at), last_value]))[2] AS last, coalesce(sum(count), 0)::int AS count`;

export interface RollupPeriod {
  kpiId: Prisma.Sql;
  workspaceId: Prisma.Sql;
  /**
   * Inclusive start: a local midnight of the workspace's time zone (a period start), so that no
   * daily row straddles it (daily rows are days of that zone: a zone change rebuilds them in its
   * own transaction).
   */
  from: Prisma.Sql;
  /** Exclusive end, anywhere. */
  to: Prisma.Sql;
}

/**
 * The WITH entries (no leading WITH) ending in `parts (sum, count, min, max)` for a period as one
 * bucket: the daily rows inside it, up to the end E of the last; then the whole UTC hours from E
 * on, and the raw points of the ragged hour after E and of the last hour. Every part is one range
 * of a primary key or of kpi_data_points_series_idx, so the planner's estimates stay small (a
 * dashboard runs this per KPI: a large estimate would cost a JIT compilation per call).
 */
export function periodPartsSql(period: RollupPeriod): Prisma.Sql {
  const owner = (alias: string) =>
    Prisma.sql`${Prisma.raw(alias)}.workspace_id = ${period.workspaceId} AND ${Prisma.raw(alias)}.kpi_id = ${period.kpiId}`;
  // Bounds enter the scans as plain values (row-level security keeps non-leakproof expressions
  // out of index conditions).
  const bound = (cte: string, column: string) => Prisma.raw(`(SELECT x.${column} FROM ${cte} AS x)`);
  return Prisma.sql`
    span AS MATERIALIZED (SELECT ${period.from} AS lo, ${period.to} AS hi),
    days AS MATERIALIZED (
      SELECT d.sum, d.count, d.min, d.max, d.bucket_end
        FROM kpi_rollups_daily AS d
       WHERE ${owner("d")} AND d.bucket_start >= ${bound("span", "lo")}
         AND d.bucket_start < ${bound("span", "hi")} AND d.bucket_end <= ${bound("span", "hi")}
    ), edge AS MATERIALIZED (
      -- e: where the days end; c: the first UTC hour from e on; h: the hour holding the end.
      SELECT y.e, y.hi, y.h, y.c, least(y.c, y.hi) AS head_end, greatest(y.h, y.c) AS tail_start
        FROM (SELECT x.e, x.hi, x.h,
                     CASE WHEN date_bin('1 hour', x.e, timestamptz 'epoch') = x.e THEN x.e
                          ELSE date_bin('1 hour', x.e, timestamptz 'epoch') + interval '1 hour' END AS c
                FROM (SELECT coalesce(max(d.bucket_end), ${bound("span", "lo")}) AS e, ${bound("span", "hi")} AS hi,
                             date_bin('1 hour', ${bound("span", "hi")}, timestamptz 'epoch') AS h
                        FROM days AS d) AS x) AS y
    ), parts AS (
      SELECT d.sum, d.count, d.min, d.max FROM days AS d
      UNION ALL
      SELECT h.sum, h.count, h.min, h.max
        FROM kpi_rollups_hourly AS h
       WHERE ${owner("h")} AND h.bucket_start >= ${bound("edge", "c")} AND h.bucket_start < ${bound("edge", "h")}
      UNION ALL
      SELECT p.value::numeric, 1, p.value, p.value
        FROM kpi_data_points AS p
       WHERE ${owner("p")} AND p."timestamp" >= ${bound("edge", "e")} AND p."timestamp" < ${bound("edge", "head_end")}
      UNION ALL
      SELECT p.value::numeric, 1, p.value, p.value
        FROM kpi_data_points AS p
       WHERE ${owner("p")} AND p."timestamp" >= ${bound("edge", "tail_start")} AND p."timestamp" < ${bound("edge", "hi")}
    )`;
}
