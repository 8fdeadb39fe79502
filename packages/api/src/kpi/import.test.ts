import { describe, expect, test } from "vitest";
import { checkImport, parseCsv, parseJsonRows } from "./import.ts";

describe("CSV import parsing", () => {
  test("a header is optional; blank lines are skipped; quotes and spaces are trimmed", () => {
    const rows = parseCsv('timestamp,value\n\n"2026-01-01T00:00:00Z", 1.5\n2026-01-02,2\n');
    expect(rows).toEqual([
      { line: 3, timestamp: new Date("2026-01-01T00:00:00Z"), value: 1.5 },
      { line: 4, timestamp: new Date("2026-01-02"), value: 2 },
    ]);
    expect(parseCsv("2026-01-01,3")).toEqual([{ line: 1, timestamp: new Date("2026-01-01"), value: 3 }]);
  });

  test("each bad line is reported with its number and rule", () => {
    const { points, errors } = checkImport(parseCsv("2026-01-01,1\nsoon,2\n2026-01-03,\n2026-01-01,4\na,b,c"));
    expect(points).toHaveLength(1);
    expect(errors).toEqual([
      { line: 2, message: "Timestamp must be a date" },
      { line: 3, message: "Value must be a finite number" },
      { line: 4, message: "Same timestamp as line 1" },
      { line: 5, message: "Expected two columns: timestamp,value" },
    ]);
  });

  test("JSON rows: positions count from 1", () => {
    expect(
      parseJsonRows([{ timestamp: "2026-01-01", value: 1 }, null, { timestamp: "2026-01-02", value: "x" }]),
    ).toEqual([
      { line: 1, timestamp: new Date("2026-01-01"), value: 1 },
      { line: 2, message: "Expected an object with timestamp and value" },
      { line: 3, message: "Value must be a finite number" },
    ]);
  });
});
