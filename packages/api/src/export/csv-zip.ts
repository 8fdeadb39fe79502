import type { ContextReader } from "@northstar/db";
import { Zip, ZipDeflate } from "fflate";
import Papa from "papaparse";
import { type ExportHeader, headerText } from "./header.ts";
import { tablePages } from "./read.ts";
import type { ExportRow, ExportTable, ExportValue } from "./tables.ts";

// The export as a ZIP of CSV files, one per table (RFC 4180, by papaparse), plus README.txt, deflated
// and written as it is read (fflate's streaming Zip): one page of rows and one deflate window in
// memory, whatever the workspace holds. A failed read fails the stream before the archive's
// central directory is written, so a partial download is not a valid archive.
//
// fflate writes no ZIP64 records: past 4 GiB (one file's size, or the archive's offsets) the
// archive would be corrupt, so the export stops with an error there instead.

const encoder = new TextEncoder();
const zipLimit = 0xffff_ffff;

/** A cell as CSV text: times in ISO 8601, JSON as JSON text, null as an empty cell. */
function cell(value: ExportValue): string | number | boolean | null {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean")
    return value;
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** Rows as CSV lines (CRLF after each), with the header row first when asked. */
export function csvLines(columns: readonly string[], rows: readonly ExportRow[], withHeader: boolean): string {
  const data = rows.map((row) => columns.map((column) => cell(row[column] ?? null)));
  if (!withHeader && data.length === 0) return "";
  const text = Papa.unparse(
    { fields: [...columns], data },
    // escapeFormulae: text a spreadsheet would run as a formula gets a leading ' (numbers are untouched).
    { header: withHeader, newline: "\r\n", quotes: false, escapeFormulae: true },
  );
  return `${text}\r\n`;
}

class ZipTooLarge extends Error {
  constructor(what: string) {
    super(
      `The export's ${what} is larger than 4 GiB, which a ZIP without ZIP64 cannot hold; download the JSON export instead.`,
    );
  }
}

export async function* csvZipExport(
  read: ContextReader,
  header: ExportHeader,
  tables: readonly ExportTable[],
): AsyncGenerator<Uint8Array> {
  const mtime = new Date(header.exportedAt);
  const ready: Uint8Array[] = [];
  let failure: Error | null = null;
  let written = 0;
  // fflate's synchronous classes call this during push() and end(): what they produce is queued
  // here and handed on before the next page is read.
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else {
      written += chunk.length;
      ready.push(chunk);
    }
  });
  function* drain(): Generator<Uint8Array> {
    if (failure) throw failure;
    if (written > zipLimit) throw new ZipTooLarge("archive");
    while (ready.length > 0) {
      const chunk = ready.shift();
      if (chunk) yield chunk;
    }
  }
  function addFile(name: string): { push(text: string): void; end(): void } {
    const file = new ZipDeflate(name, { level: 6 });
    file.mtime = mtime;
    zip.add(file);
    let size = 0;
    return {
      push(text) {
        const bytes = encoder.encode(text);
        size += bytes.length;
        if (size > zipLimit) throw new ZipTooLarge(`file ${name}`);
        file.push(bytes, false);
      },
      end() {
        file.push(new Uint8Array(0), true);
      },
    };
  }

  const readme = addFile("README.txt");
  readme.push(headerText(header));
  readme.end();
  yield* drain();
  for (const table of tables) {
    const file = addFile(`${table.name}.csv`);
    let withHeader = true;
    for await (const rows of tablePages(read, table)) {
      file.push(csvLines(table.columns, rows, withHeader));
      withHeader = false;
      yield* drain();
    }
    if (withHeader) file.push(csvLines(table.columns, [], true));
    file.end();
    yield* drain();
  }
  zip.end();
  yield* drain();
}
