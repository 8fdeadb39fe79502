import {
  type ChartCalendars,
  forgetCalendar,
  knownCalendar,
  noCalendars,
  rememberCalendar,
} from "./chart-calendars.ts";
import { queryRows, type RawQueryable } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { type Query, sql } from "./query.ts";
import { epochMsSql, type PackedWholeDays, packedWholeDaysSql, wholeDaysRows, wholeDaysUnit } from "./whole-days.ts";
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
  /** JSON [version, zone] if the context sees the KPI, else null: see chartRowSeen. */
  seen: string | null;
}

/** What a chart statement saw besides the chart, in its own snapshot. */
export interface ChartRowSeen {
  /** Whether the context sees the KPI. */
  visible: boolean;
  /** The KPI's data version (kpiDataVersionQuery). */
  version: string | null;
  /** The workspace's zone, when the statement read the daily rollups alone. */
  zone: string | null;
}

export function chartRowSeen(row: PackedChartRow): ChartRowSeen {
  if (row.seen === null) return { visible: false, version: null, zone: null };
  const [version, zone] = JSON.parse(row.seen) as [string | null, string | null];
  return { visible: true, version, zone };
}

/** Whether a chart's period reads the daily rollups alone (src/whole-days.ts), packed as PackedWholeDays. */
const readsWholeDays = (input: KpiSeriesInput, general: boolean) => !general && wholeDaysUnit(input) !== null;

/** The rows of a series statement as one JSON array of arrays (whole days: PackedWholeDays), in bucket order. */
function packedSql(input: KpiSeriesInput, general: boolean, known: readonly number[] | null): Prisma.Sql {
  if (readsWholeDays(input, general)) return packedWholeDaysSql(input, known);
  // Rounded back to the millisecond in unpack: bucket bounds are whole milliseconds, and float8
  // holds them to within a microsecond.
  const epochMs = (column: string) => epochMsSql(Prisma.sql`s.${Prisma.raw(`"${column}"`)}`);
  // Calendar buckets name their end (months differ in length); even ones are all one width.
  const end = seriesCalendar(input) === null ? Prisma.sql`NULL` : epochMs("bucketEnd");
  return Prisma.sql`(SELECT coalesce(json_agg(json_build_array(${epochMs("bucketStart")}, ${end},
              s.sum, s.avg, s.min, s.max, s.last, s.count) ORDER BY s."bucketStart"), '[]')::text
         FROM (${kpiSeriesQuery(input)}) AS s)`;
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

/**
 * The statement of a chart (run it in the workspace context, as kpiSeriesQuery); given the bounds
 * of whole days `known` (src/chart-calendars.ts), it reads only their figures.
 */
export function kpiChartQuery(input: KpiChartInput, known: ChartCalendars = noCalendars): Query<PackedChartRow> {
  const { compare, general = false, ...range } = input;
  const current = { ...range, previous: false };
  const previous = compare ? packedSql({ ...range, previous: true }, general, known.previous) : Prisma.sql`NULL::text`;
  // What the answer was read at, in this statement's snapshot and row-level security (not a round
  // trip's earlier): whether the context sees the KPI, its data version, for a host that keeps
  // charts (packages/api kpi/chart-cache.ts), and for whole days the zone their rows were written
  // in. One lookup for the three: each table's policy costs planning time.
  const { workspaceId } = range;
  // The workspace only when its zone matters (a role may read charts but not workspaces).
  const [zone, zoneJoin] = readsWholeDays(current, general)
    ? [Prisma.sql`w.time_zone::text`, Prisma.sql`LEFT JOIN workspaces AS w ON w.id = k.workspace_id`]
    : [Prisma.sql`NULL::text`, Prisma.empty];
  const seen =
    workspaceId === undefined
      ? Prisma.sql`'[null, null]'::text`
      : Prisma.sql`(SELECT json_build_array(v.version::text, ${zone})::text
                      FROM kpis AS k
                      ${zoneJoin}
                      LEFT JOIN kpi_data_versions AS v ON v.workspace_id = k.workspace_id AND v.kpi_id = k.id
                     WHERE k.workspace_id = ${workspaceId}::uuid AND k.id = ${input.kpiId}::uuid)`;
  // Without a plan window nothing is hidden: no statement over the points' partitions to plan.
  const hidden = input.visibleFrom ? Prisma.sql`(${hiddenPointsQuery(input.kpiId, input.visibleFrom)})` : Prisma.sql`0`;
  return sql<PackedChartRow>`
    SELECT ${packedSql(current, general, known.current)} AS current,
           ${previous} AS previous,
           ${hidden} AS hidden,
           ${seen} AS seen`;
}

/** A period's packed series; null if its whole days did not fit their bounds (wholeDaysRows). */
function unpack(
  input: KpiSeriesInput,
  general: boolean,
  packed: string,
  known: readonly number[] | null,
): KpiSeries | null {
  if (readsWholeDays(input, general)) {
    const rows = wholeDaysRows(JSON.parse(packed) as PackedWholeDays, known);
    return rows && seriesFromRows(input, rows);
  }
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
 * read whole days of a zone the workspace no longer has, or days that did not fit their bounds
 * (ask again with `general`).
 */
export function chartFromRow(
  input: KpiChartInput,
  row: PackedChartRow | undefined,
  known: ChartCalendars = noCalendars,
): KpiChart | null {
  if (!row) throw new Error("the chart statement answered no row");
  const { zone } = chartRowSeen(row);
  if (zone !== null && zone !== input.timeZone) return null;
  const { compare, general = false, ...range } = input;
  const current = unpack({ ...range, previous: false }, general, row.current, known.current);
  const previous =
    compare && row.previous !== null
      ? unpack({ ...range, previous: true }, general, row.previous, known.previous)
      : null;
  if (!current || (compare && row.previous !== null && !previous)) return null;
  return { current, previous, hiddenPoints: row.hidden };
}

/** A chart as read, with the KPI's data version it was read at and whether the context saw the KPI. */
export interface KpiChartReading {
  chart: KpiChart;
  version: string | null;
  visible: boolean;
}

function versionSeen(row: PackedChartRow): Pick<KpiChartReading, "version" | "visible"> {
  const { version, visible } = chartRowSeen(row);
  return { version, visible };
}

/**
 * A chart read in the workspace context (a reader or withContext's db), in one statement, rarely
 * two; its whole days' bounds from an earlier chart where one had them (src/chart-calendars.ts).
 */
export async function readKpiChartReading(db: RawQueryable, input: KpiChartInput): Promise<KpiChartReading> {
  const current = { ...input, previous: false };
  const previous = { ...input, previous: true };
  const known = {
    current: knownCalendar(current),
    previous: input.compare ? knownCalendar(previous) : null,
  };
  const row = (await queryRows(db, kpiChartQuery(input, known)))[0];
  const chart = chartFromRow(input, row, known);
  if (chart && row) {
    rememberCalendar(current, chart.current);
    if (chart.previous) rememberCalendar(previous, chart.previous);
    return { chart, ...versionSeen(row) };
  }
  forgetCalendar(current);
  forgetCalendar(previous);
  const general = { ...input, general: true };
  const again = (await queryRows(db, kpiChartQuery(general)))[0];
  const chartAgain = chartFromRow(general, again);
  if (!chartAgain || !again) throw new Error("the general chart statement named a zone");
  return { chart: chartAgain, ...versionSeen(again) };
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
