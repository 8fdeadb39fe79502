import { Prisma } from "./generated/prisma/client.ts";
import { type Query, sql } from "./query.ts";
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
}

/** The rows of a series statement as one JSON array of arrays, in bucket order. */
function packedSql(input: KpiSeriesInput): Prisma.Sql {
  const epochMs = (column: string) => Prisma.sql`(extract(epoch FROM s.${Prisma.raw(`"${column}"`)}) * 1000)::float8`;
  // Calendar buckets name their end (months differ in length); even ones are all one width.
  const end = seriesCalendar(input) === null ? Prisma.sql`NULL` : epochMs("bucketEnd");
  return Prisma.sql`(SELECT coalesce(json_agg(json_build_array(${epochMs("bucketStart")}, ${end},
              s.sum, s.avg, s.min, s.max, s.last, s.count) ORDER BY s."bucketStart"), '[]')::text
         FROM (${kpiSeriesQuery(input)}) AS s)`;
}

export interface KpiChartInput extends KpiSeriesInput {
  /** Also the comparison period (KpiSeriesInput.previous): as many buckets just before. */
  compare: boolean;
}

export interface KpiChart {
  current: KpiSeries;
  previous: KpiSeries | null;
  /** Points before `visibleFrom` (none asked: 0), for "upgrade to see N older points". */
  hiddenPoints: number;
}

/** The statement of a chart (run it in the workspace context, as kpiSeriesQuery). */
export function kpiChartQuery(input: KpiChartInput): Query<PackedChartRow> {
  const { compare, ...range } = input;
  const previous = compare ? packedSql({ ...range, previous: true }) : Prisma.sql`NULL::text`;
  return sql<PackedChartRow>`
    SELECT ${packedSql({ ...range, previous: false })} AS current,
           ${previous} AS previous,
           (${hiddenPointsQuery(input.kpiId, input.visibleFrom ?? null)}) AS hidden`;
}

function unpack(input: KpiSeriesInput, packed: string): KpiSeries {
  const rows = (JSON.parse(packed) as PackedBucket[]).map(([start, end, sum, avg, min, max, last, count]) => ({
    bucketStart: new Date(start),
    ...(end === null ? {} : { bucketEnd: new Date(end) }),
    sum,
    avg,
    min,
    max,
    last,
    count,
  }));
  return seriesFromRows(input, rows);
}

/** kpiChartQuery's row as the chart: every bucket of both periods, gaps included. */
export function chartFromRow(input: KpiChartInput, row: PackedChartRow | undefined): KpiChart {
  if (!row) throw new Error("the chart statement answered no row");
  const { compare, ...range } = input;
  return {
    current: unpack({ ...range, previous: false }, row.current),
    previous: compare && row.previous !== null ? unpack({ ...range, previous: true }, row.previous) : null,
    hiddenPoints: row.hidden,
  };
}
