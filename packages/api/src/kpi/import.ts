import { previewCsvText } from "@northstar/core/csv/preview";
import { readCsvText, settingsAsOptions } from "@northstar/core/csv/read";
import { type CsvOptions, type CsvProblem, CsvSettingsError, isRowError } from "@northstar/core/csv/settings";
import { CsvFormatError } from "@northstar/core/csv/tokenize";
import { dataPointInputSchema } from "@northstar/core/schemas";

// Bulk data points from CSV text (`timestamp,value` per line, an optional header) or a JSON array
// of { timestamp, value }. All lines are checked before anything is written; each problem names
// its line (1-based, the header included; for JSON the array position + 1). CSV is read by the
// shared reader (@northstar/core/csv): RFC 4180 quoting, a comma, semicolon or tab delimiter,
// decimal commas and thousands separators, and a date format detected from the whole column (dates
// without an offset are UTC). A column whose dates read both as DD/MM and MM/DD is refused, not guessed.

export const maxImportRows = 10_000;

export interface ImportedPoint {
  line: number;
  timestamp: Date;
  value: number;
}

export interface LineError {
  line: number;
  message: string;
}

/** Thrown (as a tRPC error's cause) when an import has bad lines; nothing was written. */
export class ImportLinesError extends Error {
  override readonly name = "ImportLinesError";
  constructor(readonly lines: LineError[]) {
    super(`${lines.length} line(s) cannot be imported`);
  }
}

function checkRow(line: number, raw: { timestamp: unknown; value: unknown }): ImportedPoint | LineError {
  const value = typeof raw.value === "string" && raw.value.trim() !== "" ? Number(raw.value) : raw.value;
  const parsed = dataPointInputSchema.safeParse({ timestamp: raw.timestamp, value });
  if (parsed.success && !Number.isNaN(parsed.data.timestamp.getTime())) return { line, ...parsed.data };
  const messages = parsed.success ? ["Timestamp must be a date"] : parsed.error.issues.map((issue) => issue.message);
  return { line, message: messages.join("; ") };
}

/** The two-column import: the timestamp first, the value second, exactly two cells a line. */
const twoColumns: CsvOptions = { columnCount: 2, timestampColumn: 0, valueColumns: [1] };

// This import's messages, by the reader's problem codes.
const problemMessages: Record<CsvProblem["code"], string> = {
  column_count: "Expected two columns: timestamp,value",
  bad_quotes: "A quoted value is not closed properly",
  missing_timestamp: "Timestamp must be a date",
  not_a_date: "Timestamp must be a date",
  not_a_number: "Value must be a finite number",
};

export function parseCsv(text: string): (ImportedPoint | LineError)[] {
  try {
    // A first pass settles the date format from the whole column; the second reads every line by it.
    const preview = previewCsvText(text, { ...twoColumns, rows: 1 });
    if (!preview.settings) {
      const line = preview.sample[0]?.line ?? 1;
      return preview.questions.map((question) => ({
        line,
        message:
          question.kind === "ambiguous_date"
            ? `Dates such as "${question.examples[0] ?? ""}" read as ${question.candidates.join(" or ")}: write them as YYYY-MM-DD`
            : question.message,
      }));
    }
    const rows: (ImportedPoint | LineError)[] = [];
    for (const row of readCsvText(text, settingsAsOptions(preview.settings))) {
      if (isRowError(row)) {
        const messages = new Set(row.problems.map((problem) => problemMessages[problem.code]));
        rows.push({ line: row.line, message: [...messages].join("; ") });
      } else rows.push(checkRow(row.line, { timestamp: row.timestamp, value: row.values[0] }));
    }
    return rows;
  } catch (error) {
    if (error instanceof CsvSettingsError && error.code === "empty") return [];
    if (error instanceof CsvSettingsError || error instanceof CsvFormatError)
      return [{ line: 1, message: error.message }];
    throw error;
  }
}

export function parseJsonRows(rows: unknown[]): (ImportedPoint | LineError)[] {
  return rows.map((row, index) =>
    typeof row === "object" && row !== null && "timestamp" in row && "value" in row
      ? checkRow(index + 1, { timestamp: row.timestamp, value: row.value })
      : { line: index + 1, message: "Expected an object with timestamp and value" },
  );
}

/** Splits parsed rows into points and errors, adding duplicate-timestamp errors. */
export function checkImport(rows: (ImportedPoint | LineError)[]): { points: ImportedPoint[]; errors: LineError[] } {
  const points: ImportedPoint[] = [];
  const errors: LineError[] = [];
  const seen = new Map<number, number>();
  for (const row of rows) {
    if ("message" in row) {
      errors.push(row);
      continue;
    }
    const earlier = seen.get(row.timestamp.getTime());
    if (earlier !== undefined) {
      errors.push({ line: row.line, message: `Same timestamp as line ${earlier}` });
      continue;
    }
    seen.set(row.timestamp.getTime(), row.line);
    points.push(row);
  }
  return { points, errors };
}
