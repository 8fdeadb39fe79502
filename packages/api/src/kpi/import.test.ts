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

  test("a quoted value with a thousands separator is one value", () => {
    expect(parseCsv('timestamp,value\n2026-11-01,"1,234.5"\n')).toEqual([
      { line: 2, timestamp: new Date("2026-11-01T00:00:00Z"), value: 1234.5 },
    ]);
  });

  test("a European spreadsheet: BOM, semicolons, decimal commas, DD.MM.YYYY (day 13 tells)", () => {
    expect(parseCsv("\uFEFFDatum;Wert\r\n01.11.2026;1,5\r\n13.11.2026;1.234,5\r\n")).toEqual([
      { line: 2, timestamp: new Date("2026-11-01T00:00:00Z"), value: 1.5 },
      { line: 3, timestamp: new Date("2026-11-13T00:00:00Z"), value: 1234.5 },
    ]);
  });

  test("01/11/2026 is never guessed: an ambiguous column is refused with what to write instead", () => {
    expect(parseCsv("01/11/2026,1\n02/11/2026,2\n")).toEqual([
      { line: 1, message: 'Dates such as "01/11/2026" read as DD/MM/YYYY or MM/DD/YYYY: write them as YYYY-MM-DD' },
    ]);
    expect(parseCsv("01/11/2026,1\n01/13/2026,2\n")).toEqual([
      { line: 1, timestamp: new Date("2026-01-11T00:00:00Z"), value: 1 },
      { line: 2, timestamp: new Date("2026-01-13T00:00:00Z"), value: 2 },
    ]);
  });

  test("a quote that is never closed is reported on its line", () => {
    expect(parseCsv('2026-01-01,1\n2026-01-02,"2\n2026-01-03,3\n')).toEqual([
      { line: 1, timestamp: new Date("2026-01-01T00:00:00Z"), value: 1 },
      { line: 2, message: "A quoted value is not closed properly" },
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
