import type { SeriesColumnsFields } from "./transformer.ts";

// A chart's columns as they travel (transformer.ts): JSON text written once per columns object.
// Three of the nine columns are usually the others again: `end` is the next bucket's start,
// `value` is the figure the KPI's aggregation names, and `avg` is sum / count. Those are left out
// when every bucket says so, which halves a year of days (about 28 kB to 12 kB per period). The
// text is an array of arrays of numbers, with no quotes: tRPC's JSON.stringify then copies it
// into the response without escaping a character of it. Each omission is checked bucket by
// bucket when the text is written, so what arrives equals what was sent.

const figures = ["sum", "avg", "min", "max", "last", "count"] as const;

/**
 * [start, end, value, sum, avg, min, max, last, count], where `end` may be the last bucket's end
 * alone (each other bucket ends where the next starts), `value` the index in `figures` of the
 * column it equals, and `avg` null (sum / count, null where there is no sum or no point).
 */
type Wire = [
  start: number[],
  end: number[] | number,
  value: (number | null)[] | number,
  sum: (number | null)[],
  avg: (number | null)[] | null,
  min: (number | null)[],
  max: (number | null)[],
  last: (number | null)[],
  count: number[],
];

function figureAt(index: number): (typeof figures)[number] {
  const figure = figures[index];
  if (figure === undefined) throw new RangeError(`A series' value names figure ${index}, which does not exist`);
  return figure;
}

/** sum / count as the client works it out; + 0 makes an underflow's -0 the 0 that JSON would have carried. */
function averageOf(sum: number | null, count: number): number | null {
  return sum === null || count === 0 ? null : sum / count + 0;
}

function endsAtNextStart(columns: SeriesColumnsFields): boolean {
  const { start, end } = columns;
  if (end.length === 0 || end.length !== start.length) return false;
  for (let i = 0; i + 1 < end.length; i++) if (end[i] !== start[i + 1]) return false;
  return true;
}

function isAverage(columns: SeriesColumnsFields): boolean {
  const { avg, sum, count } = columns;
  if (avg.length !== sum.length || avg.length !== count.length) return false;
  for (let i = 0; i < avg.length; i++) if (avg[i] !== averageOf(sum[i] ?? null, count[i] ?? 0)) return false;
  return true;
}

function sameColumn(a: readonly (number | null)[], b: readonly (number | null)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The columns' text: JSON with no quotes, the derivable columns left out. */
export function writeSeriesColumns(columns: SeriesColumnsFields): string {
  const valueFigure = figures.findIndex((figure) => sameColumn(columns.value, columns[figure]));
  const wire: Wire = [
    columns.start,
    endsAtNextStart(columns) ? (columns.end.at(-1) ?? 0) : columns.end,
    valueFigure >= 0 ? valueFigure : columns.value,
    columns.sum,
    isAverage(columns) ? null : columns.avg,
    columns.min,
    columns.max,
    columns.last,
    columns.count,
  ];
  return JSON.stringify(wire);
}

/** The columns back from writeSeriesColumns' text, as plain arrays. */
export function readSeriesColumns(text: string): SeriesColumnsFields {
  const [start, endWire, valueWire, sum, avgWire, min, max, last, count] = JSON.parse(text) as Wire;
  const end = typeof endWire === "number" ? [...start.slice(1), endWire] : endWire;
  const avg = avgWire ?? sum.map((figure, i) => averageOf(figure, count[i] ?? 0));
  const figureColumns = { sum, avg, min, max, last, count };
  const value = typeof valueWire === "number" ? [...figureColumns[figureAt(valueWire)]] : valueWire;
  return { start, end, value, sum, avg, min, max, last, count };
}
