import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { readSeriesColumns, writeSeriesColumns } from "./series-wire.ts";
import { SeriesColumns, type SeriesColumnsFields, transformer } from "./transformer.ts";

const dayMs = 86_400_000;

/** Columns as the database's buckets give them, each omission either true or broken at random. */
const columnsArbitrary = fc
  .record({
    buckets: fc.array(
      fc.record({
        // Often a day after the one before (starts a fixed step apart), sometimes not.
        width: fc.oneof(fc.constant(dayMs), fc.constant(dayMs), fc.integer({ min: 1, max: 3 * dayMs })),
        gap: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: dayMs })),
        // JSON has no -0 (JSON.stringify writes it as 0), as it never had for these columns.
        sum: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0)),
        // Often a regular feed's count or none (runs), sometimes any.
        count: fc.oneof(fc.constant(24), fc.constant(0), fc.integer({ min: 0, max: 1_000 })),
        min: fc.option(
          fc.oneof(
            fc.constant(1),
            fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0),
          ),
        ),
        max: fc.option(fc.oneof(fc.constant(2), fc.integer())),
        last: fc.option(
          fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0),
          { freq: 2 },
        ),
        avgNudge: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.double({ min: 1, max: 2, noNaN: true })),
        ownValue: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0)),
      }),
      { maxLength: 60 },
    ),
    first: fc.integer({ min: -1e12, max: 4e12 }),
    value: fc.constantFrom("sum", "avg", "min", "max", "last", "count", "own"),
  })
  .map(({ buckets, first, value }): SeriesColumnsFields => {
    const start: number[] = [];
    const end: number[] = [];
    let at = first;
    for (const bucket of buckets) {
      start.push(at);
      end.push(at + bucket.width);
      at += bucket.width + bucket.gap;
    }
    const sum = buckets.map((bucket) => (bucket.count === 0 ? null : bucket.sum));
    const avg = buckets.map((bucket, i) => {
      const total = sum[i] ?? null;
      return total === null || bucket.count === 0 ? null : total / bucket.count + bucket.avgNudge;
    });
    const figures = {
      sum,
      avg,
      min: buckets.map((bucket) => bucket.min),
      max: buckets.map((bucket) => bucket.max),
      last: buckets.map((bucket) => bucket.last),
      count: buckets.map((bucket) => bucket.count),
    };
    const own = buckets.map((bucket) => bucket.ownValue);
    return { start, end, value: value === "own" ? own : [...figures[value]], ...figures };
  });

/** A year of days of an average KPI, as the dashboard's chart reads it. */
function yearOfDays(): SeriesColumnsFields {
  const start = Array.from({ length: 365 }, (_, day) => Date.UTC(2026, 0, 1) + day * dayMs);
  const count = start.map((_, day) => (day % 7 === 0 ? 0 : 24));
  const sum = count.map((points, day) => (points === 0 ? null : 2_000 + ((day * 37) % 900)));
  const avg = sum.map((total, day) => (total === null ? null : total / (count[day] ?? 1)));
  const min = sum.map((total) => (total === null ? null : Math.round(total / 30)));
  return {
    start,
    end: start.map((at) => at + dayMs),
    value: [...avg],
    sum,
    avg,
    min,
    max: sum.map((total) => (total === null ? null : Math.round(total / 20))),
    last: min,
    count,
  };
}

describe("series columns on the wire", () => {
  test("any columns come back equal through the transformer, whichever columns could be left out", () => {
    fc.assert(
      fc.property(columnsArbitrary, (fields) => {
        const answer = { columns: new SeriesColumns(fields) };
        const back = transformer.output.parse<{ columns: SeriesColumnsFields }>(
          JSON.stringify(transformer.output.serialize(answer)),
        );
        expect(back.columns).toEqual(fields);
      }),
      { numRuns: 500 },
    );
  });

  test("a year of days leaves out end, value and avg, and is text without a quote", () => {
    const columns = yearOfDays();
    const text = writeSeriesColumns(columns);
    const [, end, value, , avg] = JSON.parse(text) as unknown[];
    expect(end).toBe(Date.UTC(2027, 0, 1));
    expect(value).toBe(1);
    expect(avg).toBeNull();
    expect(text).not.toContain('"');
    expect(text.length).toBeLessThan(JSON.stringify(columns).length / 2);
    expect(readSeriesColumns(text)).toEqual(columns);
  });

  test("a year of days sends its starts and a steady count as runs, and no data at all in a few numbers", () => {
    const columns = yearOfDays();
    columns.count.fill(24);
    columns.sum.forEach((_, day) => {
      columns.avg[day] = columns.value[day] = (columns.sum[day] ?? 0) / 24;
    });
    const [start, , , , , , , , count] = JSON.parse(writeSeriesColumns(columns)) as unknown[];
    expect(start).toEqual([[Date.UTC(2026, 0, 1), dayMs, 364]]);
    expect(count).toEqual([[24, 365]]);
    expect(readSeriesColumns(writeSeriesColumns(columns))).toEqual(columns);

    const empty: SeriesColumnsFields = {
      ...columns,
      ...Object.fromEntries(
        ["value", "sum", "avg", "min", "max", "last"].map((name) => [name, columns.start.map(() => null)]),
      ),
      count: columns.start.map(() => 0),
    };
    const text = writeSeriesColumns(empty);
    expect(text.length).toBeLessThan(200);
    expect(readSeriesColumns(text)).toEqual(empty);
  });

  test("days across a daylight-saving change are runs of their own steps; starts that sums would not give back travel whole", () => {
    // Europe/Berlin's days around 29 March 2026: 24 hours, one of 23, then 24 again.
    const start = Array.from(
      { length: 60 },
      (_, day) => Date.UTC(2026, 2, 1) + day * dayMs - (day > 28 ? 3_600_000 : 0),
    );
    const days = { ...yearOfDays(), start, end: start.map((at, i) => start[i + 1] ?? at + dayMs) };
    const [packed] = JSON.parse(writeSeriesColumns(days)) as unknown[];
    expect(packed).toEqual([[Date.UTC(2026, 2, 1), dayMs, 28, dayMs - 3_600_000, 1, dayMs, 30]]);

    // Steps of 0.1 do not add up to multiples of 0.1 in binary: summed, they would not give these
    // starts back, so the starts travel whole and come back exactly.
    const fractions = Array.from({ length: 50 }, (_, i) => i * 0.1);
    const slipping = { ...days, start: fractions, end: fractions.map((at) => at + 1) };
    const [whole] = JSON.parse(writeSeriesColumns(slipping)) as unknown[];
    expect(whole).toEqual(fractions);
    expect(readSeriesColumns(writeSeriesColumns(slipping)).start).toEqual(fractions);
  });

  test("columns that are not the others are sent whole", () => {
    const columns = yearOfDays();
    columns.end[100] = (columns.end[100] ?? 0) - 1;
    columns.avg[5] = (columns.avg[5] ?? 0) + 1e-9;
    columns.value[5] = columns.avg[5];
    const [, end, value, , avg] = JSON.parse(writeSeriesColumns(columns)) as unknown[];
    expect(end).toEqual(columns.end);
    expect(avg).toEqual(columns.avg);
    // The value is still the average column as it is, not sum / count.
    expect(value).toBe(1);
    expect(readSeriesColumns(writeSeriesColumns(columns))).toEqual(columns);
  });

  test("text naming a figure that does not exist is refused", () => {
    expect(() => readSeriesColumns("[[],[],9,[],null,[],[],[],[]]")).toThrow("names figure 9, which does not exist");
  });
});
