import { CsvProfile, resolveSettings } from "./detect.ts";
import { CsvRecords } from "./records.ts";
import { rowReader } from "./rows.ts";
import { type CsvOptions, type CsvQuestion, type CsvRow, type CsvSettings, CsvSettingsError } from "./settings.ts";
import { type CsvSource, type CsvTextSource, textChunks, textSlices } from "./source.ts";
import type { RawRecord } from "./tokenize.ts";

// Before anything is written: one pass over the whole file (streamed; memory holds counts and the
// first rows) detects its settings from whole columns, and the first rows are shown as they will be
// read, each with its problems. Open questions come back with the cells as written, so the person
// sees the data they are asked about; their answers go back in as options.

export interface PreviewOptions extends CsvOptions {
  /** Rows shown. Default 20. */
  rows?: number;
}

export interface CsvPreview {
  /** Null while a question is open. */
  settings: CsvSettings | null;
  questions: CsvQuestion[];
  /** The header's names, or "column 1", "column 2", … */
  columns: string[];
  /** The first rows as they will be read (empty while a question is open). */
  rows: CsvRow[];
  /** The first rows' cells as written. */
  sample: { line: number; cells: string[] }[];
  /** Data rows in the file (blank lines and the header not counted). */
  totalRows: number;
}

class PreviewPass {
  private readonly options: PreviewOptions;
  private readonly records: CsvRecords;
  private readonly profile: CsvProfile;
  private readonly limit: number;
  private readonly first: RawRecord[] = [];

  constructor(options: PreviewOptions) {
    this.options = options;
    this.records = new CsvRecords(options.delimiter);
    this.profile = new CsvProfile(options.header);
    this.limit = options.rows ?? 20;
  }

  push(slice: string): void {
    this.take(this.records.push(slice));
  }

  finish(): CsvPreview {
    this.take(this.records.finish());
    const split = this.records.split;
    if (!split) throw new CsvSettingsError("empty", "The file is empty");
    const { settings, questions } = resolveSettings(this.profile, this.options, split.delimiter, split.newline);
    const width = Math.max(this.profile.header?.length ?? 0, this.profile.commonWidth());
    const columns =
      settings?.columns ??
      Array.from({ length: width }, (_, index) => this.profile.header?.[index] || `column ${index + 1}`);
    const read = settings && rowReader(settings);
    return {
      settings,
      questions,
      columns,
      rows: read ? this.first.map(read) : [],
      sample: this.first.map(({ line, cells }) => ({ line, cells })),
      totalRows: this.profile.records,
    };
  }

  private take(records: RawRecord[]): void {
    for (const record of records) {
      if (this.profile.add(record) && this.first.length < this.limit) this.first.push(record);
    }
  }
}

/** Settings, questions and the first rows of a source (streamed once, to its end). */
export async function previewCsv(source: CsvSource, options: PreviewOptions = {}): Promise<CsvPreview> {
  const pass = new PreviewPass(options);
  for await (const slice of textChunks(source, options.encoding)) pass.push(slice);
  return pass.finish();
}

/** The same preview of text (or bytes) at hand, without awaiting. */
export function previewCsvText(source: CsvTextSource, options: PreviewOptions = {}): CsvPreview {
  const pass = new PreviewPass(options);
  for (const slice of textSlices(source, options.encoding)) pass.push(slice);
  return pass.finish();
}
