import { type DateFormat, dateCandidates, dateFormats, isDateFormat } from "./dates.ts";
import { type DecimalSeparator, type NumberEvidence, numberEvidence } from "./numbers.ts";
import { type CsvOptions, type CsvQuestion, type CsvSettings, CsvSettingsError } from "./settings.ts";
import { checkTimeZone, TimeZoneError } from "./time-zone.ts";
import { type Delimiter, isBlank, type Newline, type RawRecord } from "./tokenize.ts";

// What a file's columns hold, learnt from its records (a CsvProfile keeps counts, never rows), and
// the settings that follow from it and the options. A column's date format is the one most of its
// cells read in; when two tie (every day and month <= 12) the question is asked, never guessed. The
// decimal separator is the file's: cells only one separator reads decide it.

/** Cells of a column profiled in full; after that only a still-open question keeps a column profiled. */
const settleAfter = 1_000;

type NumberCounts = Record<NumberEvidence, number>;

class ColumnProfile {
  /** Non-empty cells seen, and of them the ones examined. */
  cells = 0;
  profiled = 0;
  private settled = false;
  readonly dates = new Map<DateFormat, number>();
  readonly numbers: NumberCounts = { point: 0, comma: 0, either: 0, ambiguous: 0, none: 0, empty: 0 };
  readonly examples: string[] = [];
  readonly ambiguousNumbers: string[] = [];

  add(raw: string): void {
    const cell = raw.trim();
    if (cell === "") return;
    this.cells++;
    if (this.profiled >= settleAfter && (this.settled || !this.open())) {
      this.settled = true;
      return;
    }
    this.profiled++;
    if (this.examples.length < 3) this.examples.push(cell);
    for (const format of dateCandidates(cell)) this.dates.set(format, (this.dates.get(format) ?? 0) + 1);
    const evidence = numberEvidence(cell);
    this.numbers[evidence]++;
    if (evidence === "ambiguous" && this.ambiguousNumbers.length < 3) this.ambiguousNumbers.push(cell);
  }

  /** Formats most cells read in (at least half of them), best first; empty when not a date column. */
  dateFormats(): DateFormat[] {
    const best = this.bestDateCount();
    if (best === 0 || best * 2 < this.profiled) return [];
    return dateFormats.filter((format) => this.dates.get(format) === best);
  }

  isNumeric(): boolean {
    const { point, comma, either, ambiguous } = this.numbers;
    return this.profiled > 0 && (point + comma + either + ambiguous) * 2 >= this.profiled;
  }

  private bestDateCount(): number {
    let best = 0;
    for (const count of this.dates.values()) best = Math.max(best, count);
    return best;
  }

  /** Date formats still tied, or numbers no cell has settled yet: keep looking, to the end if need be. */
  private open(): boolean {
    if (this.dateFormats().length > 1) return true;
    return this.numbers.ambiguous > 0 && this.numbers.point === 0 && this.numbers.comma === 0;
  }
}

/** What a pass over the records learnt: header, widths and each column's profile. */
export class CsvProfile {
  private readonly headerOption: boolean | undefined;
  header: string[] | null = null;
  headerLine = 0;
  records = 0;
  private decided = false;
  private readonly widths = new Map<number, number>();
  readonly columns: ColumnProfile[] = [];

  constructor(headerOption: boolean | undefined) {
    this.headerOption = headerOption;
  }

  /** Feeds one record; returns false for a record that is not data (blank, or the header). */
  add(record: RawRecord): boolean {
    if (isBlank(record.cells)) return false;
    if (!this.decided) {
      this.decided = true;
      if (this.headerOption ?? looksLikeHeader(record.cells)) {
        this.header = record.cells.map((cell) => cell.trim());
        this.headerLine = record.line;
        return false;
      }
    }
    this.records++;
    this.widths.set(record.cells.length, (this.widths.get(record.cells.length) ?? 0) + 1);
    record.cells.forEach((cell, index) => {
      let column = this.columns[index];
      if (!column) {
        column = new ColumnProfile();
        this.columns[index] = column;
      }
      column.add(cell);
    });
    return true;
  }

  /** The most common number of cells in a data record. */
  commonWidth(): number {
    let width = 0;
    let most = 0;
    for (const [cells, count] of this.widths) {
      if (count > most) {
        width = cells;
        most = count;
      }
    }
    return width;
  }
}

/** A first row is a header when no cell of it is a number or a date. */
function looksLikeHeader(cells: string[]): boolean {
  return cells.every((raw) => {
    const cell = raw.trim();
    return cell === "" || (dateCandidates(cell).length === 0 && numberEvidence(cell) === "none");
  });
}

const numericLooking: ReadonlySet<DateFormat> = new Set(["YYYY", "epoch seconds", "epoch milliseconds"]);

function columnIndex(choice: string | number, columns: string[]): number {
  const index =
    typeof choice === "number"
      ? choice
      : (() => {
          const exact = columns.indexOf(choice.trim());
          if (exact >= 0) return exact;
          return columns.findIndex((name) => name.toLowerCase() === choice.trim().toLowerCase());
        })();
  if (!Number.isInteger(index) || index < 0 || index >= columns.length) {
    throw new CsvSettingsError(
      "unknown_column",
      `The file has no column ${typeof choice === "number" ? `at position ${choice}` : `named "${choice}"`}; its columns are ${columns.map((name) => `"${name}"`).join(", ")}`,
    );
  }
  return index;
}

export interface Resolution {
  /** Null while a question is open. */
  settings: CsvSettings | null;
  questions: CsvQuestion[];
}

/** The settings a profile and the options give, or the questions to ask first. */
export function resolveSettings(
  profile: CsvProfile,
  options: CsvOptions,
  delimiter: Delimiter,
  newline: Newline,
): Resolution {
  const timeZone = options.timeZone ?? "UTC";
  try {
    checkTimeZone(timeZone);
  } catch (error) {
    if (error instanceof TimeZoneError) throw new CsvSettingsError("invalid_time_zone", error.message);
    throw error;
  }
  if (options.dateFormat !== undefined && !isDateFormat(options.dateFormat)) {
    throw new CsvSettingsError(
      "invalid_option",
      `"${String(options.dateFormat)}" is not a date format this reader knows`,
    );
  }
  const width = Math.max(profile.header?.length ?? 0, profile.commonWidth());
  if (width === 0) throw new CsvSettingsError("empty", "The file has no rows");
  const columns = Array.from({ length: width }, (_, index) => {
    const name = profile.header?.[index];
    return name === undefined || name === "" ? `column ${index + 1}` : name;
  });
  const questions: CsvQuestion[] = [];
  const profiles = profile.columns;

  let timestampColumn: number | null = null;
  if (options.timestampColumn !== undefined) timestampColumn = columnIndex(options.timestampColumn, columns);
  else {
    const dated = profiles.map((column) => column.dateFormats());
    const textual = dated.findIndex((formats) => formats.some((format) => !numericLooking.has(format)));
    timestampColumn = textual >= 0 ? textual : (dated[0]?.length ?? 0) > 0 ? 0 : null;
    if (timestampColumn === null) {
      questions.push({
        kind: "timestamp_column",
        columns,
        message: "No column reads as dates: choose the timestamp column",
      });
    }
  }

  let dateFormat: DateFormat = options.dateFormat ?? "YYYY-MM-DD";
  if (options.dateFormat === undefined && timestampColumn !== null) {
    const column = profiles[timestampColumn];
    const candidates = column?.dateFormats() ?? [];
    if (candidates.length === 1 && candidates[0]) dateFormat = candidates[0];
    else if (candidates.length > 1) {
      const name = columns[timestampColumn] ?? "";
      const examples = column?.examples ?? [];
      questions.push({
        kind: "ambiguous_date",
        column: name,
        candidates,
        examples,
        message: `Column "${name}": dates such as "${examples[0] ?? ""}" read as ${candidates.join(" or ")}, and no date in the file tells which: choose the date format`,
      });
    }
  }

  let valueColumns: number[];
  if (options.valueColumns !== undefined)
    valueColumns = options.valueColumns.map((choice) => columnIndex(choice, columns));
  else {
    valueColumns = columns.flatMap((_, index) =>
      index !== timestampColumn && profiles[index]?.isNumeric() === true ? [index] : [],
    );
    if (valueColumns.length === 0) {
      questions.push({
        kind: "value_columns",
        columns,
        message: "No column reads as numbers: choose the value columns",
      });
    }
  }

  let decimal: DecimalSeparator = options.decimal ?? ".";
  if (options.decimal === undefined) {
    const decided = decideDecimal(
      valueColumns.map((index) => profiles[index]),
      delimiter,
    );
    if ("question" in decided) questions.push(decided.question);
    else decimal = decided.decimal;
  }

  if (questions.length > 0 || timestampColumn === null) return { settings: null, questions };
  return {
    settings: {
      delimiter,
      newline,
      header: profile.header !== null,
      columns,
      columnCount: options.columnCount ?? (profile.header ? profile.header.length : profile.commonWidth()),
      timestampColumn,
      valueColumns,
      dateFormat,
      decimal,
      timeZone,
    },
    questions,
  };
}

/**
 * The file's decimal separator: the one that cells only it reads vote for. With no such cell, a
 * semicolon file means a decimal comma (that is why spreadsheets chose the semicolon), a comma file
 * a decimal point (its "1,234" had to be quoted: a thousands separator); a tab or pipe file with
 * cells like "1,234" (1234, or 1.234?) is asked about.
 */
function decideDecimal(
  columns: (ColumnProfile | undefined)[],
  delimiter: Delimiter,
): { decimal: DecimalSeparator } | { question: CsvQuestion } {
  let point = 0;
  let comma = 0;
  const examples: string[] = [];
  for (const column of columns) {
    if (!column) continue;
    point += column.numbers.point;
    comma += column.numbers.comma;
    if (column.numbers.ambiguous > 0) examples.push(...column.ambiguousNumbers);
  }
  if (point !== comma) return { decimal: point > comma ? "." : "," };
  if (delimiter === ";") return { decimal: "," };
  if (examples.length === 0 || delimiter === ",") return { decimal: "." };
  return {
    question: {
      kind: "ambiguous_decimal",
      candidates: [".", ","],
      examples: examples.slice(0, 3),
      message: `Numbers such as "${examples[0] ?? ""}" read with a decimal point or a decimal comma, and no number in the file tells which: choose the decimal separator`,
    },
  };
}
