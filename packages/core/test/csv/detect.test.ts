import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { numberEvidence, parseNumber } from "../../src/csv/numbers.ts";
import { previewCsv, previewCsvText } from "../../src/csv/preview.ts";
import { readCsvText, settingsAsOptions } from "../../src/csv/read.ts";
import { isRowError } from "../../src/csv/settings.ts";
import { detectDelimiter } from "../../src/csv/tokenize.ts";

// Detection from whole columns, and the preview a person sees before anything is written.

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url));

describe("detection", () => {
  test("delimiters: comma, semicolon with decimal commas, tab, quoted delimiters", () => {
    expect(detectDelimiter("date,value\n2026-01-01,1\n", "\n", true)).toBe(",");
    expect(detectDelimiter("Datum;Wert\n01.11.2026;1,5\n02.11.2026;2,25\n", "\n", true)).toBe(";");
    expect(detectDelimiter("date\tvalue\n2026-01-01\t1,5\n", "\n", true)).toBe("\t");
    expect(detectDelimiter('date,note\n2026-01-01,"a;b"\n2026-01-02,"c;d"\n', "\n", true)).toBe(",");
    expect(detectDelimiter("just one column\n1\n", "\n", true)).toBe(",");
  });

  test("numbers: decimal point or comma, thousands, currency", () => {
    expect(parseNumber("1,234.5", { decimal: "." })).toBe(1234.5);
    expect(parseNumber("1.234,5", { decimal: "," })).toBe(1234.5);
    expect(parseNumber("1 234,5", { decimal: "," })).toBe(1234.5);
    expect(parseNumber("1'234.5", { decimal: "." })).toBe(1234.5);
    expect(parseNumber("-$1,234.50", { decimal: "." })).toBe(-1234.5);
    expect(parseNumber("12,5 €", { decimal: "," })).toBe(12.5);
    expect(parseNumber("1e-3", { decimal: "." })).toBe(0.001);
    expect(parseNumber("", { decimal: "." })).toBeNull();
    for (const bad of ["12,5.3", "1,23", "0x10", "Infinity", "NaN", "1.2.3", "--1", "12%"]) {
      expect(parseNumber(bad, { decimal: "." }), bad).toBeUndefined();
    }
    expect(numberEvidence("1,234")).toBe("ambiguous");
    expect(numberEvidence("1,5")).toBe("comma");
    expect(numberEvidence("1.5")).toBe("point");
    expect(numberEvidence("15")).toBe("either");
  });

  test("'1,234' alone: thousands in a comma file (it had to be quoted), decimals in a semicolon file", () => {
    const [comma] = [...readCsvText('date,v\n2026-01-01,"1,234"\n')];
    expect(comma).toMatchObject({ values: [1234] });
    const [semicolon] = [...readCsvText("date;v\n2026-01-01;1,234\n")];
    expect(semicolon).toMatchObject({ values: [1.234] });
  });

  test("a tab file with only '1,234'-like numbers is asked about", () => {
    const preview = previewCsvText("date\tv\n2026-01-01\t1,234\n2026-01-02\t2,500\n");
    expect(preview.questions).toMatchObject([{ kind: "ambiguous_decimal", candidates: [".", ","] }]);
    expect(previewCsvText("date\tv\n2026-01-01\t1,234\n", { decimal: "," }).rows).toMatchObject([{ values: [1.234] }]);
  });

  test("the date format is decided by the whole column: a day over 12 at row 5,000 settles it", () => {
    const lines = ["date,v"];
    for (let i = 0; i < 5_000; i++) lines.push(`0${(i % 9) + 1}/0${(i % 7) + 1}/2026,${i}`);
    lines.push("25/12/2026,1");
    const preview = previewCsvText(lines.join("\n"));
    expect(preview.questions).toEqual([]);
    expect(preview.settings?.dateFormat).toBe("DD/MM/YYYY");
    expect(preview.totalRows).toBe(5_001);
    // The streaming reader alone sees the first 1,000 rows: it asks rather than guesses.
    expect(() => [...readCsvText(lines.join("\n"))]).toThrow(/DD\/MM\/YYYY or MM\/DD\/YYYY/);
    // With the preview's settings it reads the whole file in that format.
    const rows = [...readCsvText(lines.join("\n"), settingsAsOptions(preview.settings ?? expect.fail()))];
    expect(rows.filter(isRowError)).toEqual([]);
  });

  test("a few bad dates do not make a date column something else; they are reported", () => {
    const rows = [...readCsvText("when,v\n2026-01-01,1\nsoon,2\n2026-01-03,3\n")];
    expect(rows[1]).toMatchObject({
      line: 3,
      errors: ['Line 3, column "when": "soon" is not a date in the format YYYY-MM-DD'],
    });
  });

  test("the timestamp column is the first column of dates, not the first column", () => {
    const rows = [...readCsvText("station,date,temp\nSEA,2026-01-01,5.5\nSEA,2026-01-02,6\n")];
    expect(rows[0]).toEqual({ line: 2, timestamp: new Date("2026-01-01T00:00:00Z"), values: [5.5] });
  });

  test("no date column, no number column: asked", () => {
    const preview = previewCsvText("name,city\nAda,London\n");
    expect(preview.questions.map((question) => question.kind)).toEqual(["timestamp_column", "value_columns"]);
    expect(preview.sample).toEqual([{ line: 2, cells: ["Ada", "London"] }]);
  });
});

describe("preview", () => {
  test("the first rows as they will be read, with per-line errors, and the detected settings", async () => {
    const preview = await previewCsv(new Blob([fixture("seattle-weather.csv")]).stream(), { rows: 20 });
    expect(preview.settings).toMatchObject({
      delimiter: ",",
      header: true,
      timestampColumn: 0,
      valueColumns: [1, 2, 3, 4],
      dateFormat: "YYYY-MM-DD",
      decimal: ".",
      timeZone: "UTC",
    });
    expect(preview.columns).toEqual(["date", "precipitation", "temp_max", "temp_min", "wind", "weather"]);
    expect(preview.totalRows).toBe(15);
    expect(preview.rows[0]).toEqual({
      line: 2,
      timestamp: new Date("2012-01-01T00:00:00Z"),
      values: [0, 12.8, 5, 4.7],
    });
    expect(preview.rows.filter(isRowError).map((row) => row.errors)).toEqual([
      ['Line 14, column "temp_max": "12,5.3" is not a number'],
      ["Line 16: expected 6 columns, found 3"],
    ]);
  });

  test("an ambiguous file: the question, the cells as written, no rows read", () => {
    const preview = previewCsvText(fixture("events-ambiguous.csv"), { rows: 2 });
    expect(preview.settings).toBeNull();
    expect(preview.questions).toEqual([
      {
        kind: "ambiguous_date",
        column: "date",
        candidates: ["DD/MM/YYYY", "MM/DD/YYYY"],
        examples: ["01/02/2026", "02/03/2026", "03/04/2026"],
        message:
          'Column "date": dates such as "01/02/2026" read as DD/MM/YYYY or MM/DD/YYYY, and no date in the file tells which: choose the date format',
      },
    ]);
    expect(preview.rows).toEqual([]);
    expect(preview.sample).toEqual([
      { line: 2, cells: ["01/02/2026", "5"] },
      { line: 3, cells: ["02/03/2026", "7"] },
    ]);
    const answered = previewCsvText(fixture("events-ambiguous.csv"), { rows: 1, dateFormat: "MM/DD/YYYY" });
    expect(answered.rows).toEqual([{ line: 2, timestamp: new Date("2026-01-02T00:00:00Z"), values: [5] }]);
  });
});
