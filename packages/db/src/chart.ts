import { queryRows, type RawQueryable } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { type Query, sql } from "./query.ts";
import { wholeDaysSeriesQuery, wholeDaysUnit } from "./whole-days.ts";
import {
  hiddenPointsQuery,
  type KpiSeries,
  type KpiSeriesInput,
  kpiSeriesQuery,
  seriesCalendar,
  seriesFromRows,
} from "./series.ts";

// A dashboard chart in one statement: the series, the comparison period's series and the count of
// points the plan hides, each packed by PostgreSQL into one JSON value. A year of daily buckets
// and the year before is 732 rows; as rows, node-postgres parses two timestamps and six numbers
// per row from text (about 1 ms of the host's CPU per chart, more than the database spends on the
// rollups), where JSON.parse of the packed arrays takes a tenth of that. One statement instead of
// three also saves two protocol round trips inside the batch.

/** A bucket as packed: [start ms, end ms | null, sum, avg, min, max, last, count]. */
type PackedBucket = [
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  number,
];

interface PackedChartRow {
  current: string;
  previous: string | null;
  hidden: number;
  /** The workspace's zone as the statement saw it, when it read the daily rollups alone. */
  zone: string | null;
  /** The KPI's data version in the statement's own snapshot (kpiDataVersionQuery), and whether the context sees the KPI. */
  version: string | null;
  visible: boolean;
}

/** The rows of a series statement as one JSON array of arrays, in bucket order. */
function packedSql(input: KpiSeriesInput, general: boolean): Prisma.Sql {
  // float8 seconds (cheaper than extract's numeric), rounded back to the millisecond in unpack:
  // bucket bounds are whole milliseconds, and float8 holds them to within a microsecond.
  const epochMs = (column: string) => Prisma.sql`date_part('epoch', s.${Prisma.raw(`"${column}"`)}) * 1000`;
  // Calendar buckets name their end (months differ in length); even ones are all one width.
  const end = seriesCalendar(input) === null ? Prisma.sql`NULL` : epochMs("bucketEnd");
  const series = general || wholeDaysUnit(input) === null ? kpiSeriesQuery(input) : wholeDaysSeriesQuery(input);
  return Prisma.sql`(SELECT coalesce(json_agg(json_build_array(${epochMs("bucketStart")}, ${end},
              s.sum, s.avg, s.min, s.max, s.last, s.count) ORDER BY s."bucketStart"), '[]')::text
         FROM (${series}) AS s)`;
}

export interface KpiChartInput extends KpiSeriesInput {
  /** Also the comparison period (KpiSeriesInput.previous): as many buckets just before. */
  compare: boolean;
  /**
   * The general statement even where the daily rollups alone would answer (src/whole-days.ts):
   * after the workspace's zone changed under a read of them.
   */
  general?: boolean;
}

export interface KpiChart {
  current: KpiSeries;
  previous: KpiSeries | null;
  /** Points before `visibleFrom` (none asked: 0), for "upgrade to see N older points". */
  hiddenPoints: number;
}

/** The statement of a chart (run it in the workspace context, as kpiSeriesQuery). */
export function kpiChartQuery(input: KpiChartInput): Query<PackedChartRow> {
  const { compare, general = false, ...range } = input;
  const current = { ...range, previous: false };
  const previous = compare ? packedSql({ ...range, previous: true }, general) : Prisma.sql`NULL::text`;
  // Whole days are right in the zone their rows were written in: the statement says which that was.
  const zone =
    !general && range.workspaceId !== undefined && wholeDaysUnit(current) !== null
      ? Prisma.sql`(SELECT w.time_zone::text FROM workspaces AS w WHERE w.id = ${range.workspaceId}::uuid)`
      : Prisma.sql`NULL::text`;
  // What the answer was read at, for a host that keeps it (packages/api kpi/chart-cache.ts): in
  // this statement's snapshot and row-level security, not a round trip's earlier.
  const { workspaceId } = range;
  const version =
    workspaceId === undefined
      ? Prisma.sql`NULL::text`
      : Prisma.sql`(SELECT v.version::text FROM kpi_data_versions AS v
                     WHERE v.workspace_id = ${workspaceId}::uuid AND v.kpi_id = ${input.kpiId}::uuid)`;
  const visible =
    workspaceId === undefined
      ? Prisma.sql`true`
      : Prisma.sql`EXISTS (SELECT FROM kpis AS k WHERE k.workspace_id = ${workspaceId}::uuid AND k.id = ${input.kpiId}::uuid)`;
  return sql<PackedChartRow>`
    SELECT ${packedSql(current, general)} AS current,
           ${previous} AS previous,
           (${hiddenPointsQuery(input.kpiId, input.visibleFrom ?? null)}) AS hidden,
           ${zone} AS zone,
           ${version} AS version,
           ${visible} AS visible`;
}

function unpack(input: KpiSeriesInput, packed: string): KpiSeries {
  const rows = (JSON.parse(packed) as PackedBucket[]).map(([start, end, sum, avg, min, max, last, count]) => ({
    bucketStart: new Date(Math.round(start)),
    ...(end === null ? {} : { bucketEnd: new Date(Math.round(end)) }),
    sum,
    avg,
    min,
    max,
    last,
    count,
  }));
  return seriesFromRows(input, rows);
}

/**
 * kpiChartQuery's row as the chart: every bucket of both periods, gaps included; or null when it
 * read whole days of a zone the workspace no longer has (ask again with `general`).
 */
export function chartFromRow(input: KpiChartInput, row: PackedChartRow | undefined): KpiChart | null {
  if (!row) throw new Error("the chart statement answered no row");
  if (row.zone !== null && row.zone !== input.timeZone) return null;
  const { compare, ...range } = input;
  return {
    current: unpack({ ...range, previous: false }, row.current),
    previous: compare && row.previous !== null ? unpack({ ...range, previous: true }, row.previous) : null,
    hiddenPoints: row.hidden,
  };
}

/** A chart as read, with the KPI's data version it was read at and whether the context saw the KPI. */
export interface KpiChartReading {
  chart: KpiChart;
  version: string | null;
  visible: boolean;
}

/** A chart read in the workspace context (a reader or withContext's db), in one statement, rarely two. */
export async function readKpiChartReading(db: RawQueryable, input: KpiChartInput): Promise<KpiChartReading> {
  const row = (await queryRows(db, kpiChartQuery(input)))[0];
  const chart = chartFromRow(input, row);
  if (chart && row) return { chart, version: row.version, visible: row.visible };
  const general = { ...input, general: true };
  const again = (await queryRows(db, kpiChartQuery(general)))[0];
  const chartAgain = chartFromRow(general, again);
  if (!chartAgain || !again) throw new Error("the general chart statement named a zone");
  return { chart: chartAgain, version: again.version, visible: again.visible };
}

/** readKpiChartReading's chart alone. */
export async function readKpiChart(db: RawQueryable, input: KpiChartInput): Promise<KpiChart> {
  return (await readKpiChartReading(db, input)).chart;
}

/**
 * The version of a KPI's chart data (migration kpi_data_versions): it changes in the transaction
 * of every write to what the KPI's charts read. No row (null): nothing written since that migration.
 */
export function kpiDataVersionQuery(workspaceId: string, kpiId: string): Query<{ version: string }> {
  return sql<{ version: string }>`
    SELECT v.version::text AS version FROM kpi_data_versions AS v
     WHERE v.workspace_id = ${workspaceId}::uuid AND v.kpi_id = ${kpiId}::uuid`;
}
