import type { ContextReader } from "@northstar/db";
import { tablePages } from "./read.ts";
import type { ExportHeader } from "./header.ts";
import type { ExportTable } from "./tables.ts";

// The export as one JSON document, written as it is read: the header, then each table as an
// array of row objects under `tables`, a page at a time. Only one page is ever in memory. Should a
// read fail halfway, the stream fails and the document stays unterminated (invalid JSON), so a
// partial download can never pass for a complete one.

const encoder = new TextEncoder();

export async function* jsonExport(
  read: ContextReader,
  header: ExportHeader,
  tables: readonly ExportTable[],
): AsyncGenerator<Uint8Array> {
  const opening = JSON.stringify(header, null, 2);
  // The header's closing brace makes way for the tables.
  yield encoder.encode(`${opening.slice(0, -2)},\n  "tables": {`);
  let firstTable = true;
  for (const table of tables) {
    yield encoder.encode(`${firstTable ? "" : ","}\n    ${JSON.stringify(table.name)}: [`);
    firstTable = false;
    let firstRow = true;
    for await (const rows of tablePages(read, table)) {
      // Dates become ISO 8601 strings (Date.prototype.toJSON).
      const text = rows.map((row) => `\n      ${JSON.stringify(row)}`).join(",");
      yield encoder.encode(firstRow ? text : `,${text}`);
      firstRow = false;
    }
    yield encoder.encode(firstRow ? "]" : "\n    ]");
  }
  yield encoder.encode("\n  }\n}\n");
}
