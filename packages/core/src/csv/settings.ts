import type { DateFormat } from "./dates.ts";
import type { DecimalSeparator } from "./numbers.ts";
import type { Delimiter, Newline } from "./tokenize.ts";

// What a reader may be told (CsvOptions), what it settles on (CsvSettings) and what it asks when
// the file does not say (CsvQuestion). A question is answered by passing the option it names.

export interface CsvOptions {
  /** Default: detected from the first rows (tab, semicolon, comma or pipe). */
  delimiter?: Delimiter;
  /** Whether the first row names the columns. Default: detected (no cell of it is a number or a date). */
  header?: boolean;
  /** Cells every row must have. Default: the header's count (without a header, the most common count). */
  columnCount?: number;
  /** A header name or a 0-based position. Default: the first column of dates. */
  timestampColumn?: string | number;
  /** Header names or 0-based positions. Default: every other column of numbers. */
  valueColumns?: (string | number)[];
  /** The answer to an `ambiguous_date` question. Default: detected from the whole column. */
  dateFormat?: DateFormat;
  /** The answer to an `ambiguous_decimal` question. Default: detected from the value columns. */
  decimal?: DecimalSeparator;
  /** IANA zone for dates without an offset. Default "UTC". */
  timeZone?: string;
  /** Text encoding of byte input (a TextDecoder label). Default "utf-8". */
  encoding?: string;
}

export interface CsvSettings {
  delimiter: Delimiter;
  newline: Newline;
  header: boolean;
  /** Column names: the header's (trimmed), or "column 1", "column 2", … */
  columns: string[];
  columnCount: number;
  timestampColumn: number;
  valueColumns: number[];
  dateFormat: DateFormat;
  decimal: DecimalSeparator;
  timeZone: string;
}

export type CsvQuestion = { message: string } & (
  | { kind: "ambiguous_date"; column: string; candidates: DateFormat[]; examples: string[] }
  | { kind: "ambiguous_decimal"; candidates: DecimalSeparator[]; examples: string[] }
  | { kind: "timestamp_column"; columns: string[] }
  | { kind: "value_columns"; columns: string[] }
);

/** Settings that cannot be used: an unknown column or time zone, or questions left open. */
export class CsvSettingsError extends Error {
  readonly code: "unknown_column" | "invalid_option" | "invalid_time_zone" | "empty" | "questions" | "too_many_rows";
  readonly questions: CsvQuestion[];
  override readonly name = "CsvSettingsError";
  constructor(code: CsvSettingsError["code"], message: string, questions: CsvQuestion[] = []) {
    super(message);
    this.code = code;
    this.questions = questions;
  }
}

/** A problem with one row, by code (adapters map codes, never message text). */
export interface CsvProblem {
  code: "column_count" | "bad_quotes" | "missing_timestamp" | "not_a_date" | "not_a_number";
  /** The column's name, for cell problems. */
  column: string | null;
  message: string;
}

/** One data row as it will be read: its timestamp and values (null for an empty cell), or what to fix. */
export type CsvRow =
  | { line: number; timestamp: Date; values: (number | null)[] }
  | { line: number; errors: string[]; problems: CsvProblem[] };

export function isRowError(row: CsvRow): row is Extract<CsvRow, { errors: string[] }> {
  return "errors" in row;
}

/** Most rows a reader takes by default; more is refused rather than read for minutes. */
export const csvMaxRows = 1_000_000;

/** A cell as messages quote it: cut to 40 characters, so a huge cell cannot make a huge message. */
export function quoteCell(cell: string): string {
  const text = cell.trim();
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
