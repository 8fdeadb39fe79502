import { CsvProfile, resolveSettings } from "./detect.ts";
import { CsvRecords } from "./records.ts";
import { type RowReader, rowReader } from "./rows.ts";
import { type CsvOptions, type CsvRow, type CsvSettings, CsvSettingsError, csvMaxRows } from "./settings.ts";
import { type CsvSource, type CsvTextSource, textChunks, textSlices } from "./source.ts";
import { isBlank, type RawRecord } from "./tokenize.ts";

// Reads a CSV/TSV file row by row, streamed: memory holds a slice of text and the first rows, never
// the file. Settings not given are detected from the first 1,000 data rows; a question they leave
// open (an ambiguous date format, say) throws a CsvSettingsError that carries it, before any row is
// out. For detection from whole columns, preview the file first (preview.ts) and pass its
// settings back (`settingsAsOptions`).

export interface ReadOptions extends CsvOptions {
  /** Data rows read at most; more throws a CsvSettingsError ("too_many_rows"). Default 1,000,000. */
  maxRows?: number;
}

/** Data rows profiled before reading starts. */
const headRows = 1_000;

/** The options that make a reader take exactly these settings (a preview's answers, kept). */
export function settingsAsOptions(settings: CsvSettings): CsvOptions {
  return {
    delimiter: settings.delimiter,
    header: settings.header,
    columnCount: settings.columnCount,
    timestampColumn: settings.timestampColumn,
    valueColumns: settings.valueColumns,
    dateFormat: settings.dateFormat,
    decimal: settings.decimal,
    timeZone: settings.timeZone,
  };
}

/** Slices in, rows out: what readCsv and readCsvText share. */
class RowPipeline {
  private readonly options: ReadOptions;
  private readonly records: CsvRecords;
  private readonly profile: CsvProfile;
  private readonly maxRows: number;
  private head: RawRecord[] = [];
  private read: RowReader | null = null;
  private rows = 0;

  constructor(options: ReadOptions) {
    this.options = options;
    this.records = new CsvRecords(options.delimiter);
    this.profile = new CsvProfile(options.header);
    this.maxRows = options.maxRows ?? csvMaxRows;
  }

  push(slice: string): CsvRow[] {
    return this.take(this.records.push(slice), false);
  }

  finish(): CsvRow[] {
    return this.take(this.records.finish(), true);
  }

  private take(records: RawRecord[], last: boolean): CsvRow[] {
    const out: CsvRow[] = [];
    for (const record of records) {
      if (this.read) {
        if (isBlank(record.cells)) continue;
        this.count();
        out.push(this.read(record));
        continue;
      }
      if (this.profile.add(record)) this.head.push(record);
      if (this.head.length >= headRows) out.push(...this.start());
    }
    if (last && !this.read) out.push(...this.start());
    return out;
  }

  private start(): CsvRow[] {
    const split = this.records.split;
    if (!split) throw new CsvSettingsError("empty", "The file is empty");
    const { settings, questions } = resolveSettings(this.profile, this.options, split.delimiter, split.newline);
    if (!settings) {
      throw new CsvSettingsError("questions", questions.map((question) => question.message).join("; "), questions);
    }
    const read = rowReader(settings);
    this.read = read;
    const out: CsvRow[] = [];
    const header = this.profile.header;
    if (header && this.options.columnCount !== undefined && header.length !== this.options.columnCount) {
      const line = this.profile.headerLine;
      const message = `Line ${line}: expected ${this.options.columnCount} columns, found ${header.length}`;
      out.push({ line, errors: [message], problems: [{ code: "column_count", column: null, message }] });
    }
    for (const record of this.head) {
      this.count();
      out.push(read(record));
    }
    this.head = [];
    return out;
  }

  private count(): void {
    this.rows++;
    if (this.rows > this.maxRows) {
      throw new CsvSettingsError(
        "too_many_rows",
        `The file has more than ${this.maxRows.toLocaleString("en-US")} rows: split it, or import fewer at a time`,
      );
    }
  }
}

/** Rows of a CSV/TSV source, streamed. */
export async function* readCsv(source: CsvSource, options: ReadOptions = {}): AsyncGenerator<CsvRow> {
  for await (const batch of readCsvBatches(source, options)) yield* batch;
}

/** The same rows a slice of text at a time (up to a few thousand): fewer awaits, for bulk work. */
export async function* readCsvBatches(source: CsvSource, options: ReadOptions = {}): AsyncGenerator<CsvRow[]> {
  const pipeline = new RowPipeline(options);
  for await (const slice of textChunks(source, options.encoding)) {
    const rows = pipeline.push(slice);
    if (rows.length > 0) yield rows;
  }
  const rows = pipeline.finish();
  if (rows.length > 0) yield rows;
}

/** Rows of text (or bytes) at hand, without awaiting: the same reader as readCsv. */
export function* readCsvText(source: CsvTextSource, options: ReadOptions = {}): Generator<CsvRow> {
  const pipeline = new RowPipeline(options);
  for (const slice of textSlices(source, options.encoding)) yield* pipeline.push(slice);
  yield* pipeline.finish();
}
