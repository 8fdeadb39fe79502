import { type DateReader, dateReader, explainDate } from "./dates.ts";
import { type NumberFormat, parseNumber } from "./numbers.ts";
import { type CsvProblem, type CsvRow, type CsvSettings, quoteCell } from "./settings.ts";
import type { RawRecord } from "./tokenize.ts";

// One record to one row under settled settings: its timestamp and chosen values, or every problem
// on it, each message naming the line and column and saying what is wrong with the cell.

export type RowReader = (record: RawRecord) => CsvRow;

export function rowReader(settings: CsvSettings): RowReader {
  const readDate: DateReader = dateReader(settings.dateFormat, settings.timeZone);
  const numberFormat: NumberFormat = { decimal: settings.decimal };
  const { columns, columnCount, timestampColumn, valueColumns } = settings;
  const name = (index: number) => columns[index] ?? `column ${index + 1}`;
  const label = (index: number) => `column ${quoteCell(name(index))}`;
  const decimalHint = settings.decimal === "," ? " with a decimal comma" : "";

  return (record) => {
    const { line, cells } = record;
    const problems: CsvProblem[] = [];
    if (record.quoteError) {
      // Its cells cannot be trusted: the quote may have swallowed delimiters and lines.
      const swallowed = record.endLine > line ? ` (lines ${line} to ${record.endLine} were read as one row)` : "";
      const message = `Line ${line}: a quoted value is not closed properly${swallowed}`;
      return { line, errors: [message], problems: [{ code: "bad_quotes", column: null, message }] };
    }
    if (cells.length !== columnCount) {
      const unquoted =
        cells.length > columnCount && settings.delimiter !== "\t"
          ? " (is a value that holds the delimiter not quoted?)"
          : "";
      problems.push({
        code: "column_count",
        column: null,
        message: `Line ${line}: expected ${columnCount} columns, found ${cells.length}${unquoted}`,
      });
      return { line, errors: problems.map((problem) => problem.message), problems };
    }
    const timestampCell = (cells[timestampColumn] ?? "").trim();
    const timestamp = timestampCell === "" ? Number.NaN : readDate(timestampCell);
    if (Number.isNaN(timestamp)) {
      problems.push({
        code: timestampCell === "" ? "missing_timestamp" : "not_a_date",
        column: name(timestampColumn),
        message: `Line ${line}, ${label(timestampColumn)}: ${explainDate(timestampCell, settings.dateFormat)}`,
      });
    }
    const values: (number | null)[] = [];
    for (const column of valueColumns) {
      const cell = cells[column] ?? "";
      const value = parseNumber(cell, numberFormat);
      if (value === undefined) {
        problems.push({
          code: "not_a_number",
          column: name(column),
          message: `Line ${line}, ${label(column)}: ${quoteCell(cell)} is not a number${decimalHint}`,
        });
      } else values.push(value);
    }
    if (problems.length > 0) return { line, errors: problems.map((problem) => problem.message), problems };
    return { line, timestamp: new Date(timestamp), values };
  };
}
