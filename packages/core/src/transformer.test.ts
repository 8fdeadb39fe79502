import { describe, expect, test } from "vitest";
import { readSeriesColumns } from "./series-wire.ts";
import { SeriesColumns, transformer } from "./transformer.ts";

const columns = () =>
  new SeriesColumns({
    start: [0, 86_400_000],
    end: [86_400_000, 172_800_000],
    value: [1 / 3, null],
    sum: [1, null],
    avg: [1 / 3, null],
    min: [-0.5, null],
    max: [Number.MAX_VALUE, null],
    last: [5e-324, null],
    count: [3, 0],
  });

describe("transformer", () => {
  test("columns travel as text and come back equal, beside dates and plain values", () => {
    const answer = { at: new Date(Date.UTC(2026, 10, 30)), columns: columns(), previous: { columns: columns() } };
    const wire = transformer.output.serialize(answer);
    expect(typeof (wire.json as { columns: unknown }).columns).toBe("string");
    const back = transformer.output.parse<typeof answer>(JSON.stringify(wire));
    expect(back).toEqual(answer);
    // Plain where it arrives, so that the client's structural sharing sees unchanged charts.
    expect(Object.getPrototypeOf(back.columns)).toBe(Object.prototype);
    expect(back.at).toBeInstanceOf(Date);
  });

  test("answers carry columns; inputs do not read them (their runs would expand unbounded)", () => {
    const wire = transformer.output.serialize({ columns: columns() });
    expect(() => transformer.input.deserialize(wire)).toThrow("unknown custom value");
    expect(transformer.output.deserialize(wire)).toEqual({ columns: columns() });
    // Everything else reads the same both ways.
    const plain = { at: new Date(Date.UTC(2026, 10, 30)), set: new Set([1]) };
    expect(transformer.input.deserialize(transformer.input.serialize(plain))).toEqual(plain);
  });

  test("a columns object's text is written once, and reads back as the columns", () => {
    const once = columns();
    const first = transformer.output.serialize({ once }).json as { once: string };
    // Columns are never changed once made; were they, the kept text would show it is not rewritten.
    once.count[0] = 99;
    const again = transformer.output.serialize({ once }).json as { once: string };
    expect(again.once).toBe(first.once);
    expect(readSeriesColumns(first.once)).toEqual(columns());
  });
});
