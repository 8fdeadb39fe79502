import { CsvTokenizer, detectDelimiter, detectNewline, type Delimiter, type RawRecord } from "./tokenize.ts";

// Text slices to records, starting once enough text has come to tell the line break and (unless
// given) the delimiter. The sync and async readers (read.ts, preview.ts) both feed one of these.

/** Text looked at to detect the delimiter: the first rows, whatever their length. */
const headChars = 65_536;

export class CsvRecords {
  private readonly delimiter: Delimiter | undefined;
  private head = "";
  private tokenizer: CsvTokenizer | null = null;

  constructor(delimiter: Delimiter | undefined) {
    this.delimiter = delimiter;
  }

  /** The records a slice completes. */
  push(slice: string): RawRecord[] {
    if (this.tokenizer) return this.tokenizer.push(slice);
    this.head += slice;
    return this.head.length < headChars ? [] : this.start(false);
  }

  /** The records left at the end of the text. */
  finish(): RawRecord[] {
    const records = this.tokenizer ? [] : this.start(true);
    return this.tokenizer ? [...records, ...this.tokenizer.finish()] : records;
  }

  /** What the records were split by (known once the first records are out). */
  get split(): { delimiter: Delimiter; newline: CsvTokenizer["newline"] } | null {
    return this.tokenizer && { delimiter: this.tokenizer.delimiter, newline: this.tokenizer.newline };
  }

  private start(complete: boolean): RawRecord[] {
    const text = this.head.charCodeAt(0) === 0xfeff ? this.head.slice(1) : this.head;
    this.head = "";
    const newline = detectNewline(text);
    this.tokenizer = new CsvTokenizer(this.delimiter ?? detectDelimiter(text, newline, complete), newline);
    return this.tokenizer.push(text);
  }
}
