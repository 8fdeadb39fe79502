import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { readCsv, readCsvBatches, readCsvText } from "../../src/csv/read.ts";
import { type CsvRow, CsvSettingsError, isRowError } from "../../src/csv/settings.ts";
import { CsvFormatError } from "../../src/csv/tokenize.ts";

// The reader on files shaped like the ones people have (the public time series of issue 13):
// more than two columns, quoted thousands, European spreadsheets, TSV, epoch time, offsets.

const fixture = (name: string) => readFileSync(new URL(`fixtures/${name}`, import.meta.url));
const text = (name: string) => fixture(name).toString("utf8");

function points(rows: CsvRow[]): [number, string, (number | null)[]][] {
  return rows.flatMap((row) => (isRowError(row) ? [] : [[row.line, row.timestamp.toISOString(), row.values]]));
}

function errors(rows: CsvRow[]): [number, string[]][] {
  return rows.flatMap((row) => (isRowError(row) ? [[row.line, row.errors]] : []));
}

describe("reading CSV files as they come", () => {
  test("weather: six columns, value columns chosen by name, per-line errors name line and column", () => {
    const rows = [...readCsvText(text("seattle-weather.csv"), { valueColumns: ["temp_max", "temp_min"] })];
    expect(points(rows).slice(0, 2)).toEqual([
      [2, "2012-01-01T00:00:00.000Z", [12.8, 5]],
      [3, "2012-01-02T00:00:00.000Z", [10.6, 2.8]],
    ]);
    expect(errors(rows)).toEqual([
      [14, ['Line 14, column "temp_max": "12,5.3" is not a number']],
      [16, ["Line 16: expected 6 columns, found 3"]],
    ]);
    expect(rows).toHaveLength(15);
  });

  test("weather: by default every numeric column is a value column; an empty cell is null", () => {
    const rows = [...readCsvText(text("seattle-weather.csv"))];
    const snow = rows.find((row) => row.line === 15);
    expect(snow).toEqual({ line: 15, timestamp: new Date("2012-01-14T00:00:00Z"), values: [4.1, 4.4, 0.6, null] });
  });

  test("stock prices: quoted values with thousands separators", () => {
    const rows = [...readCsvText(text("stock-monthly.csv"), { valueColumns: ["Close", "Volume"] })];
    expect(points(rows)).toEqual([
      [2, "2026-07-01T00:00:00.000Z", [1234.5, 12_345_678]],
      [3, "2026-08-01T00:00:00.000Z", [1255, 9_876_543]],
      [4, "2026-09-01T00:00:00.000Z", [1298.4, 11_002_417]],
      [5, "2026-10-01T00:00:00.000Z", [1281.15, 10_550_001]],
      [6, "2026-11-01T00:00:00.000Z", [1318.7, 8_420_950]],
    ]);
  });

  test("a European spreadsheet: BOM, semicolons, CRLF, decimal commas, DD.MM.YYYY read in Europe/Berlin", () => {
    const rows = [...readCsvText(fixture("europe-excel.csv"), { timeZone: "Europe/Berlin" })];
    expect(points(rows)).toEqual([
      [2, "2026-10-31T23:00:00.000Z", [12.5, 0, 1234.5]],
      [3, "2026-11-01T23:00:00.000Z", [11.8, 3.2, 987]],
      [4, "2026-11-12T23:00:00.000Z", [9.1, 12.4, 2048.75]],
      [5, "2026-11-13T23:00:00.000Z", [-0.5, 0, 1000]],
    ]);
  });

  test("the BOM does not end up in the first column's name", () => {
    expect(() => [...readCsvText(fixture("europe-excel.csv"), { timestampColumn: "Datum" })]).not.toThrow();
  });

  test("TSV with a space in a column name and monthly ISO dates (YYYY-MM)", () => {
    const rows = [...readCsvText(text("co2-monthly.tsv"), { valueColumns: ["adjusted CO2"] })];
    expect(points(rows)).toEqual([
      [2, "1958-03-01T00:00:00.000Z", [314.44]],
      [3, "1958-04-01T00:00:00.000Z", [315.16]],
      [4, "1958-05-01T00:00:00.000Z", [314.69]],
      [5, "1958-06-01T00:00:00.000Z", [315.15]],
      [6, "1958-07-01T00:00:00.000Z", [315.2]],
    ]);
    expect(points([...readCsvText(text("co2-monthly.tsv"), { valueColumns: ["CO2"] })])[3]).toEqual([
      5,
      "1958-06-01T00:00:00.000Z",
      [null],
    ]);
  });

  test("ISO timestamps with offsets keep their offsets, whatever the time zone option", () => {
    const rows = [...readCsvText(text("hourly-offsets.csv"), { timeZone: "America/New_York" })];
    expect(points(rows)).toEqual([
      [2, "2026-03-28T23:00:00.000Z", [120, 1]],
      [3, "2026-03-29T01:00:00.000Z", [98, 0]],
      [4, "2026-03-29T05:00:00.000Z", [143, 2]],
      [5, "2026-03-29T11:00:00.000Z", [150, 3]],
    ]);
  });

  test("epoch seconds (with a fraction) and epoch milliseconds", () => {
    expect(points([...readCsvText(text("epoch.csv"))])).toEqual([
      [2, "2026-01-01T00:00:00.000Z", [1.5]],
      [3, "2026-01-01T01:00:00.000Z", [2.5]],
      [4, "2026-01-01T02:00:00.500Z", [3]],
    ]);
    expect(points([...readCsvText(text("epoch-ms.csv"))])).toEqual([
      [2, "2026-01-01T00:00:00.000Z", [1.5]],
      [3, "2026-01-01T01:00:00.000Z", [2.5]],
      [4, "2026-01-01T02:00:00.123Z", [3]],
    ]);
  });

  test("US dates are read as US dates when one day is over 12 (never by the server's locale)", () => {
    expect(points([...readCsvText(text("events-us.csv"))])).toEqual([
      [2, "2026-01-02T00:00:00.000Z", [5]],
      [3, "2026-01-13T00:00:00.000Z", [7]],
      [4, "2026-02-28T00:00:00.000Z", [11]],
      [5, "2026-12-11T00:00:00.000Z", [4]],
    ]);
  });

  test("an ambiguous date column is asked about before any row; the answer reads it", () => {
    let thrown: unknown;
    try {
      expect.fail(`read ${Array.from(readCsvText(text("events-ambiguous.csv"))).length} rows`);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CsvSettingsError);
    const error = thrown as CsvSettingsError;
    expect(error.code).toBe("questions");
    expect(error.questions).toMatchObject([
      { kind: "ambiguous_date", column: "date", candidates: ["DD/MM/YYYY", "MM/DD/YYYY"] },
    ]);
    const european = points([...readCsvText(text("events-ambiguous.csv"), { dateFormat: "DD/MM/YYYY" })]);
    expect(european[0]).toEqual([2, "2026-02-01T00:00:00.000Z", [5]]);
    const american = points([...readCsvText(text("events-ambiguous.csv"), { dateFormat: "MM/DD/YYYY" })]);
    expect(american[0]).toEqual([2, "2026-01-02T00:00:00.000Z", [5]]);
  });

  test("a date against the chosen format says so, and what it would read as", () => {
    const rows = [...readCsvText("date,n\n13/01/2026,1\n", { dateFormat: "MM/DD/YYYY" })];
    expect(errors(rows)).toEqual([
      [
        2,
        [
          'Line 2, column "date": "13/01/2026" is not a date in the format MM/DD/YYYY (it reads as DD/MM/YYYY: does the file mix formats?)',
        ],
      ],
    ]);
  });

  test("quoted line breaks and quotes: line numbers stay those of the file", () => {
    const csv =
      'date,value,note\r\n2026-01-01,1,"two\r\nlines"\r\n2026-01-02,2,"say ""hi"""\r\n\r\n2026-01-03,x,plain\r\n';
    const rows = [...readCsvText(csv)];
    expect(points(rows)).toEqual([
      [2, "2026-01-01T00:00:00.000Z", [1]],
      [4, "2026-01-02T00:00:00.000Z", [2]],
    ]);
    expect(errors(rows)).toEqual([[6, ['Line 6, column "value": "x" is not a number']]]);
  });

  test("ragged rows and a quote that is not closed properly are reported per line; the rest is read", () => {
    const csv =
      'date,a,b\n2026-01-01,1,2\n2026-01-02,1\n2026-01-03,1,2,3\n2026-01-04,"1"x",2\n2026-01-05,5,6\n2026-01-06,"7\n2026-01-07,8,9';
    const rows = [...readCsvText(csv)];
    expect(errors(rows)).toEqual([
      [3, ["Line 3: expected 3 columns, found 2"]],
      [4, ["Line 4: expected 3 columns, found 4 (is a value that holds the delimiter not quoted?)"]],
      [5, ["Line 5: a quoted value is not closed properly"]],
      // A quote never closed takes the rest of the file with it (so does every CSV reader).
      [7, ["Line 7: a quoted value is not closed properly (lines 7 to 8 were read as one row)"]],
    ]);
    expect(points(rows).map(([line]) => line)).toEqual([2, 6]);
  });

  test("no header: columns by position", () => {
    const rows = [...readCsvText("2026-01-01;3,5\n2026-01-02;4\n", { header: false })];
    expect(points(rows)).toEqual([
      [1, "2026-01-01T00:00:00.000Z", [3.5]],
      [2, "2026-01-02T00:00:00.000Z", [4]],
    ]);
  });

  test("settings that cannot work are refused by code, with the columns there are", () => {
    const read = (options: Parameters<typeof readCsvText>[1]) => () => [
      ...readCsvText("date,v\n2026-01-01,1\n", options),
    ];
    expect(read({ valueColumns: ["value"] })).toThrow(/no column named "value"; its columns are "date", "v"/);
    expect(read({ timeZone: "Mars/Olympus" })).toThrow(CsvSettingsError);
    expect(read({ maxRows: 0 })).toThrow(/more than 0 rows/);
    expect(() => [...readCsvText("")]).toThrow(/no rows/);
  });

  test("a bad encoding is refused rather than read with replacement characters", () => {
    const latin1 = new Uint8Array([...Buffer.from("date;temp\n01.11.2026;12,5 "), 0xb0, 0x43, 0x0a]);
    expect(() => [...readCsvText(latin1)]).toThrow(/not utf-8 text: choose its encoding/);
    const rows = [
      ...readCsvText(latin1, { encoding: "windows-1252", dateFormat: "DD.MM.YYYY", valueColumns: ["temp"] }),
    ];
    expect(errors(rows)).toEqual([[2, ['Line 2, column "temp": "12,5 °C" is not a number with a decimal comma']]]);
  });

  test("the async reader streams chunks split anywhere: mid character, mid CRLF, mid quoted field", async () => {
    const bytes = fixture("europe-excel.csv");
    const expected = [...readCsvText(bytes)];
    async function* chunks(size: number) {
      for (let at = 0; at < bytes.length; at += size) {
        await Promise.resolve(); // a real turn between chunks, as from a socket
        yield bytes.subarray(at, at + size);
      }
    }
    for (const size of [1, 2, 3, 7, 64]) {
      const rows: CsvRow[] = [];
      for await (const row of readCsv(chunks(size))) rows.push(row);
      expect(rows).toEqual(expected);
    }
    const quoted = 'date,v,note\n2026-01-01,1,"a\nb,c"\n2026-01-02,2,x\n';
    const pieces = Array.from({ length: quoted.length }, (_, at) => quoted.charAt(at));
    const rows: CsvRow[] = [];
    for await (const row of readCsv(pieces)) rows.push(row);
    expect(points(rows)).toEqual([
      [2, "2026-01-01T00:00:00.000Z", [1]],
      [4, "2026-01-02T00:00:00.000Z", [2]],
    ]);
  });

  test("a quote never closed in a large stream is refused once one row passes 1 MiB, not read into memory", () => {
    function* text() {
      yield 'date,v\n2026-01-01,1\n2026-01-02,"';
      for (let i = 0; i < 40; i++) yield `${"x".repeat(32_767)}\n`;
    }
    expect(() => [...readCsvText(text())]).toThrow(CsvFormatError);
    expect(() => [...readCsvText(text())]).toThrow(
      /^Line 3: one record runs over 1,048,576 characters; is a quote \("\) never closed\?$/,
    );
  });

  test("messages quote at most 40 characters of a cell", () => {
    const [row] = [
      ...readCsvText(`date,v\n2026-01-01,${"9".repeat(30)}x${"9".repeat(100)}\n`, { valueColumns: ["v"] }),
    ];
    expect(row).toMatchObject({
      errors: [`Line 2, column "v": "${"9".repeat(30)}x${"9".repeat(9)}…" is not a number`],
    });
  });

  test("readCsvBatches gives the same rows, a slice of text at a time", async () => {
    const expected = [...readCsvText(text("seattle-weather.csv"))];
    const batches: CsvRow[][] = [];
    for await (const batch of readCsvBatches(text("seattle-weather.csv"))) batches.push(batch);
    expect(batches.flat()).toEqual(expected);
  });

  test("a web ReadableStream (fetch's body, File.stream()) is read too", async () => {
    const stream = new Blob([fixture("stock-monthly.csv")]).stream();
    const rows: CsvRow[] = [];
    for await (const row of readCsv(stream, { valueColumns: ["Close"] })) rows.push(row);
    expect(rows).toHaveLength(5);
  });
});
