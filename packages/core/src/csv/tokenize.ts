import Papa from "papaparse";

// Text chunks to records (RFC 4180: quoted fields hold delimiters, "" and line breaks) with the
// physical line each record starts on, so that every message can name the line a person sees in
// an editor. Papa Parse does the splitting; a chunk's unfinished last record is kept and parsed
// again with the next chunk, so memory holds one chunk plus one record, whatever the file's size.

export type Delimiter = "," | ";" | "\t" | "|";
export const delimiters: readonly Delimiter[] = ["\t", ";", ",", "|"];
export type Newline = "\n" | "\r\n" | "\r";

export interface RawRecord {
  /** 1-based line the record starts on, and the line it ends on (quoted line breaks). */
  line: number;
  endLine: number;
  cells: string[];
  /** A quoted field was not closed properly (or never). */
  quoteError: boolean;
}

/** One record longer than this is refused: most likely a quote that is never closed. */
export const maxRecordChars = 1_048_576;

export class CsvFormatError extends Error {
  readonly code: "record_too_long";
  override readonly name = "CsvFormatError";
  constructor(code: "record_too_long", message: string) {
    super(message);
    this.code = code;
  }
}

/** The record separator, from the first line break of a sample. */
export function detectNewline(sample: string): Newline {
  const at = sample.indexOf("\n");
  if (at < 0) return sample.includes("\r") ? "\r" : "\n";
  return at > 0 && sample.charAt(at - 1) === "\r" ? "\r\n" : "\n";
}

export class CsvTokenizer {
  readonly delimiter: Delimiter;
  readonly newline: Newline;
  private readonly parser: Papa.Parser;
  private readonly lineBreak: string;
  private partial = "";
  private nextLine = 1;
  private started = false;

  constructor(delimiter: Delimiter, newline: Newline) {
    this.delimiter = delimiter;
    this.newline = newline;
    this.parser = new Papa.Parser({ delimiter, newline, quoteChar: '"' });
    // Line breaks inside quoted fields are counted by their last character.
    this.lineBreak = newline === "\r" ? "\r" : "\n";
  }

  /** Records completed by `chunk` (the last, unfinished one waits for the next chunk). */
  push(chunk: string): RawRecord[] {
    let text = chunk;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return this.run(this.partial + text, false);
  }

  /** The records left once the input has ended. */
  finish(): RawRecord[] {
    const text = this.partial;
    this.partial = "";
    return text === "" ? [] : this.run(text, true);
  }

  private run(text: string, last: boolean): RawRecord[] {
    // Papa's types leave the undocumented Parser's result untyped; papaparse.js returns this shape.
    const result = this.parser.parse(text, 0, !last) as Papa.ParseResult<string[]>;
    if (!last) {
      this.partial = text.slice(result.meta.cursor);
      if (this.partial.length > maxRecordChars) {
        throw new CsvFormatError(
          "record_too_long",
          `Line ${this.nextLine}: one record runs over ${maxRecordChars.toLocaleString("en-US")} characters; is a quote (") never closed?`,
        );
      }
    }
    const badRows = new Set<number>();
    for (const error of result.errors) if (error.type === "Quotes" && error.row !== undefined) badRows.add(error.row);
    const records: RawRecord[] = [];
    for (let index = 0; index < result.data.length; index++) {
      const cells = result.data[index] ?? [];
      const line = this.nextLine;
      let lines = 1;
      for (const cell of cells) {
        for (let at = cell.indexOf(this.lineBreak); at >= 0; at = cell.indexOf(this.lineBreak, at + 1)) lines++;
      }
      this.nextLine += lines;
      records.push({ line, endLine: line + lines - 1, cells, quoteError: badRows.has(index) });
    }
    return records;
  }
}

/** Whether a record has nothing in it (a blank line, or only delimiters and spaces). */
export function isBlank(cells: string[]): boolean {
  for (const cell of cells) if (cell.trim() !== "") return false;
  return true;
}

/**
 * The delimiter that splits a sample into the most consistent rows of at least two columns: the
 * share of rows with the first row's column count. Ties go to tab, then semicolon (decimal commas
 * make commas the weaker sign), then comma. One column everywhere: comma.
 */
export function detectDelimiter(sample: string, newline: Newline, complete: boolean): Delimiter {
  let best: Delimiter = ",";
  let bestScore = 0;
  for (const delimiter of delimiters) {
    const tokenizer = new CsvTokenizer(delimiter, newline);
    const records = [...tokenizer.push(sample), ...(complete ? tokenizer.finish() : [])]
      .filter((record) => !isBlank(record.cells))
      .slice(0, 100);
    const width = records[0]?.cells.length ?? 0;
    if (width < 2) continue;
    const score = records.filter((record) => record.cells.length === width).length / records.length;
    if (score > bestScore) {
      best = delimiter;
      bestScore = score;
    }
  }
  return best;
}
