import { uuidPattern } from "@northstar/core/uuid";
import type pg from "pg";
import { queryRows, type RawQueryable } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { type Query, sql } from "./query.ts";
import { rollupPartsSql } from "./rollup-parts.ts";
import { type CalendarUnit, calendarUnits, maxRangeMs } from "./series.ts";

// Chart buckets read from the rollups (migration 20261130000700_rollups) instead of every raw
// point: a year of daily buckets is 365 daily rows, not 8,760 hourly points. The answer is the
// raw aggregation's, exactly: daily and hourly rows are used only where they lie wholly inside one
// bucket and inside [from, to); the rest (ragged edges, hours cut by a bucket edge, days that do
// not fit) is read from the raw points of the hours concerned. Also: the raw query with the same
// answer (the reference the tests and the benchmark compare with), and the operator's drift check
// and rebuild.

// The chart's calendar units (hours to years): date_trunc buckets every one of them in a zone.
export { type CalendarUnit, calendarUnits } from "./series.ts";

const hourMs = 3_600_000;

interface RangeInput {
  kpiId: string;
  /** Inclusive start: no point before it counts. */
  from: Date;
  /** Exclusive end. */
  to: Date;
  /**
   * Points before this instant are left out (a plan's history window, as in src/series.ts); the
   * buckets stay those of `from`.
   */
  visibleFrom?: Date | null;
}

/** Equal-width buckets [from + k * width, from + (k + 1) * width), as src/series.ts draws them. */
export interface FixedWidthInput extends RangeInput {
  bucketWidthMs: number;
}

/**
 * Calendar buckets: local hours, days, ISO weeks (from Monday), months, quarters or years starting
 * in `timeZone` (an IANA name PostgreSQL knows). A bucket is keyed by the start of its period, which for the first
 * one may lie before `from` (only points from `from` on count).
 */
export interface CalendarInput extends RangeInput {
  unit: CalendarUnit;
  timeZone: string;
}

export type RollupSeriesInput = FixedWidthInput | CalendarInput;

/** A bucket with at least one point; buckets without points are left out, in start order. */
export interface RollupBucket {
  start: Date;
  sum: number;
  count: number;
  min: number;
  max: number;
  /** The value of the newest point (of points at the same instant, the smallest value). */
  last: number;
}

function isCalendar(input: RollupSeriesInput): input is CalendarInput {
  return "unit" in input;
}

function checkInput(input: RollupSeriesInput): void {
  if (typeof input.kpiId !== "string" || !uuidPattern.test(input.kpiId))
    throw new TypeError(`kpiId must be a UUID, got ${JSON.stringify(input.kpiId)}`);
  for (const [name, value] of [
    ["from", input.from],
    ["to", input.to],
  ] as const) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${name} must be a valid Date`);
  }
  const rangeMs = input.to.getTime() - input.from.getTime();
  if (rangeMs <= 0)
    throw new RangeError(`from (${input.from.toISOString()}) must be before to (${input.to.toISOString()})`);
  if (rangeMs > maxRangeMs) throw new RangeError("from and to must be at most 100 years apart");
  if (input.visibleFrom != null && (!(input.visibleFrom instanceof Date) || Number.isNaN(input.visibleFrom.getTime())))
    throw new TypeError("visibleFrom must be a valid Date or null");
  if (isCalendar(input)) {
    if (!calendarUnits.includes(input.unit))
      throw new RangeError(`unit must be one of ${calendarUnits.join(", ")}, got ${JSON.stringify(input.unit)}`);
    if (typeof input.timeZone !== "string" || input.timeZone === "" || input.timeZone.length > 64)
      throw new RangeError("timeZone must be an IANA time zone name of at most 64 characters");
  } else if (!Number.isSafeInteger(input.bucketWidthMs) || input.bucketWidthMs < 1) {
    throw new RangeError(`bucketWidthMs must be a whole number of milliseconds, got ${String(input.bucketWidthMs)}`);
  }
}

/** The first instant whose points count. */
function lowerBound(input: RollupSeriesInput): Date {
  return input.visibleFrom && input.visibleFrom > input.from ? input.visibleFrom : input.from;
}

/** The bucket an instant falls in, as SQL: the same expression for raw points and rollup rows. */
function bucketOf(input: RollupSeriesInput, instant: Prisma.Sql): Prisma.Sql {
  if (isCalendar(input)) return Prisma.sql`date_trunc(${input.unit}::text, ${instant}, ${input.timeZone}::text)`;
  return Prisma.sql`date_bin(${input.bucketWidthMs}::bigint * interval '1 millisecond', ${instant}, ${input.from}::timestamptz)`;
}

/**
 * The raw aggregation: every point of [from, to), bucketed. Sums are taken in numeric (then
 * rounded once to float8) so that they do not depend on the order of the points, as the rollups' do.
 */
export function rawRollupSeriesQuery(input: RollupSeriesInput): Query<RollupBucket> {
  checkInput(input);
  return sql<RollupBucket>`
    SELECT ${bucketOf(input, Prisma.sql`p."timestamp"`)} AS start,
           sum(p.value::numeric)::float8 AS sum, count(*)::int AS count, min(p.value) AS min, max(p.value) AS max,
           (min(ARRAY[-date_part('epoch', p."timestamp"), p.value]))[2] AS last
      FROM kpi_data_points AS p
     WHERE p.kpi_id = ${input.kpiId}::uuid
       AND p."timestamp" >= ${lowerBound(input)}::timestamptz AND p."timestamp" < ${input.to}::timestamptz
     GROUP BY 1
     ORDER BY 1`;
}

/**
 * The same answer from the rollups (src/rollup-parts.ts) over [from, to), from being the later of
 * from and visibleFrom. Rows are read under the caller's row-level security.
 */
export function rollupSeriesQuery(input: RollupSeriesInput): Query<RollupBucket> {
  checkInput(input);
  const parts = rollupPartsSql({
    kpiId: Prisma.sql`${input.kpiId}::uuid`,
    from: Prisma.sql`${lowerBound(input)}::timestamptz`,
    to: Prisma.sql`${input.to}::timestamptz`,
    bucket: (instant) => bucketOf(input, instant),
    ...(isCalendar(input) && input.unit === "day" ? { dayZone: input.timeZone } : {}),
  });
  return sql<RollupBucket>`
    WITH ${parts}
    SELECT start, sum(sum)::float8 AS sum, sum(count)::int AS count, min(min) AS min, max(max) AS max,
           (min(ARRAY[-date_part('epoch', last_at), last_value]))[2] AS last
      FROM parts
     GROUP BY start
     ORDER BY start`;
}

/**
 * A KPI's non-empty buckets over [from, to), read from the rollups (equal-width buckets narrower
 * than an hour straight from the raw points, which no rollup can serve). Pass the ScopedDb of
 * withContext or a reader: row-level security picks the rows, so another workspace's KPI reads as
 * empty.
 */
export async function readRollupSeries(db: RawQueryable, input: RollupSeriesInput): Promise<RollupBucket[]> {
  const belowAnHour = !isCalendar(input) && input.bucketWidthMs < hourMs;
  return queryRows(db, belowAnHour ? rawRollupSeriesQuery(input) : rollupSeriesQuery(input));
}

// ---------------------------------------------------------------------------------------------
// Operator tools (scripts/rollups.ts): run as the owner, over every workspace or a part of them.

export interface RollupScope {
  workspaceId?: string;
  kpiId?: string;
}

export type RollupLevel = "hourly" | "daily";

/** A stored rollup row that is not what the raw points say, or a bucket of points without one. */
export interface RollupDrift {
  level: RollupLevel;
  workspaceId: string;
  kpiId: string;
  bucketStart: Date;
  problem: "missing" | "extra" | "differs";
}

function checkScope(scope: RollupScope): void {
  for (const [name, value] of Object.entries(scope)) {
    if (value !== undefined && (typeof value !== "string" || !uuidPattern.test(value)))
      throw new TypeError(`${name} must be a UUID, got ${JSON.stringify(value)}`);
  }
}

const aggregates = `sum(p.value::numeric) AS sum, count(*)::int AS count, min(p.value) AS min, max(p.value) AS max,
  max(p."timestamp") AS last_at, (min(ARRAY[-date_part('epoch', p."timestamp"), p.value]))[2] AS last_value`;

const inScope = (alias: string) =>
  `($1::uuid IS NULL OR ${alias}.workspace_id = $1::uuid) AND ($2::uuid IS NULL OR ${alias}.kpi_id = $2::uuid)`;

const driftQuery = `
  WITH expected_hourly AS (
    SELECT p.workspace_id, p.kpi_id, date_trunc('hour', p."timestamp", 'UTC') AS bucket_start,
           NULL::timestamptz AS bucket_end, NULL::text AS zone, ${aggregates}
      FROM kpi_data_points AS p WHERE ${inScope("p")} GROUP BY 1, 2, 3
  ), stored_hourly AS (
    SELECT r.workspace_id, r.kpi_id, r.bucket_start, NULL::timestamptz AS bucket_end, NULL::text AS zone, r.sum,
           r.count, r.min, r.max, r.last_at, r.last_value
      FROM kpi_rollups_hourly AS r WHERE ${inScope("r")}
  ), expected_daily AS (
    SELECT d.workspace_id, d.kpi_id, d.bucket_start,
           (d.bucket_start AT TIME ZONE d.zone + interval '1 day') AT TIME ZONE d.zone AS bucket_end, d.zone::text AS zone,
           d.sum, d.count, d.min, d.max, d.last_at, d.last_value
      FROM (SELECT p.workspace_id, p.kpi_id, w.time_zone AS zone,
                   date_trunc('day', p."timestamp", w.time_zone) AS bucket_start, ${aggregates}
              FROM kpi_data_points AS p JOIN workspaces AS w ON w.id = p.workspace_id
             WHERE ${inScope("p")} GROUP BY 1, 2, 3, 4) AS d
  ), stored_daily AS (
    SELECT r.workspace_id, r.kpi_id, r.bucket_start, r.bucket_end, r.time_zone::text AS zone, r.sum, r.count, r.min,
           r.max, r.last_at, r.last_value
      FROM kpi_rollups_daily AS r WHERE ${inScope("r")}
  ), compared AS (
    SELECT 'hourly' AS level, e AS expected, s AS stored, coalesce(e.workspace_id, s.workspace_id) AS workspace_id,
           coalesce(e.kpi_id, s.kpi_id) AS kpi_id, coalesce(e.bucket_start, s.bucket_start) AS bucket_start
      FROM expected_hourly AS e
      FULL JOIN stored_hourly AS s
        ON s.workspace_id = e.workspace_id AND s.kpi_id = e.kpi_id AND s.bucket_start = e.bucket_start
    UNION ALL
    SELECT 'daily', e, s, coalesce(e.workspace_id, s.workspace_id), coalesce(e.kpi_id, s.kpi_id),
           coalesce(e.bucket_start, s.bucket_start)
      FROM expected_daily AS e
      FULL JOIN stored_daily AS s
        ON s.workspace_id = e.workspace_id AND s.kpi_id = e.kpi_id AND s.bucket_start = e.bucket_start
  )
  SELECT c.level, c.workspace_id::text AS "workspaceId", c.kpi_id::text AS "kpiId", c.bucket_start AS "bucketStart",
         CASE WHEN (c.stored).workspace_id IS NULL THEN 'missing'
              WHEN (c.expected).workspace_id IS NULL THEN 'extra' ELSE 'differs' END AS problem
    FROM compared AS c
   WHERE (c.stored).workspace_id IS NULL OR (c.expected).workspace_id IS NULL
      OR ((c.expected).bucket_end, (c.expected).zone, (c.expected).sum, (c.expected).count, (c.expected).min, (c.expected).max,
          (c.expected).last_at, (c.expected).last_value)
         IS DISTINCT FROM
         ((c.stored).bucket_end, (c.stored).zone, (c.stored).sum, (c.stored).count, (c.stored).min, (c.stored).max,
          (c.stored).last_at, (c.stored).last_value)
   ORDER BY 2, 3, 1, 4`;

/**
 * Rows of the rollups that differ from the raw points (or are missing or left over), in `scope`.
 * Needs the owner's connection (it reads every workspace). Run it on a quiet database or a
 * replica: it reads in one snapshot, so it never reports a write in flight, but it reads all points.
 */
export async function checkRollups(client: pg.ClientBase, scope: RollupScope = {}): Promise<RollupDrift[]> {
  checkScope(scope);
  const { rows } = await client.query<RollupDrift>(driftQuery, [scope.workspaceId ?? null, scope.kpiId ?? null]);
  return rows;
}

/**
 * Rebuilds the rollups of `scope` from the raw points, one workspace per transaction (each holds
 * the workspace's rollup lock: its point writers wait meanwhile). Returns the workspaces rebuilt.
 * Needs the owner's connection.
 */
export async function rebuildRollups(client: pg.ClientBase, scope: RollupScope = {}): Promise<number> {
  checkScope(scope);
  const { rows } = await client.query<{ workspace_id: string }>(
    `SELECT DISTINCT k.workspace_id::text AS workspace_id FROM kpis AS k
      WHERE ($1::uuid IS NULL OR k.workspace_id = $1::uuid) AND ($2::uuid IS NULL OR k.id = $2::uuid)
      ORDER BY 1`,
    [scope.workspaceId ?? null, scope.kpiId ?? null],
  );
  for (const row of rows) {
    await client.query("SELECT app_private.kpi_rollups_rebuild($1::uuid, $2::uuid, true)", [
      row.workspace_id,
      scope.kpiId ?? null,
    ]);
  }
  return rows.length;
}
