import { dataPointInputSchema } from "@northstar/core/schemas";

// What an import answers about its input: the bad lines (a rejected import writes nothing), and
// the JSON form of the one-KPI import (an array of { timestamp, value }), checked a row at a time.
// CSV goes through the import engine (../import/engine.ts); the writer is shared (../import/writer.ts).

export interface LineError {
  line: number;
  message: string;
}

/** Thrown (as a tRPC error's cause) when an import has bad lines; nothing was written. */
export class ImportLinesError extends Error {
  /** The first bad lines (at most a readable number), by line. */
  readonly lines: LineError[];
  /** All bad lines, listed or not. */
  readonly total: number;
  override readonly name = "ImportLinesError";
  constructor(lines: LineError[], total: number = lines.length) {
    super(`${total} line(s) cannot be imported`);
    this.lines = lines;
    this.total = total;
  }
}

export interface ImportedPoint {
  line: number;
  timestamp: Date;
  value: number;
}

function checkRow(line: number, raw: { timestamp: unknown; value: unknown }): ImportedPoint | LineError {
  const value = typeof raw.value === "string" && raw.value.trim() !== "" ? Number(raw.value) : raw.value;
  const parsed = dataPointInputSchema.safeParse({ timestamp: raw.timestamp, value });
  if (parsed.success && !Number.isNaN(parsed.data.timestamp.getTime())) return { line, ...parsed.data };
  const messages = parsed.success ? ["Timestamp must be a date"] : parsed.error.issues.map((issue) => issue.message);
  return { line, message: messages.join("; ") };
}

/** Each element of a JSON import as a point or what is wrong with it (its line is its position + 1). */
export function parseJsonRows(rows: unknown[]): (ImportedPoint | LineError)[] {
  return rows.map((row, index) =>
    typeof row === "object" && row !== null && "timestamp" in row && "value" in row
      ? checkRow(index + 1, { timestamp: row.timestamp, value: row.value })
      : { line: index + 1, message: "Expected an object with timestamp and value" },
  );
}
