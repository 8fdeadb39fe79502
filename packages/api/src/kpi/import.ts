import { dataPointInputSchema } from "@northstar/core/schemas";

// Bulk data points from CSV text (`timestamp,value` per line, an optional header) or a JSON array
// of { timestamp, value }. All lines are checked before anything is written; each problem names
// its line (1-based, the header included; for JSON the array position + 1).

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

function unquote(cell: string): string {
  const trimmed = cell.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1).replace(/""/g, '"')
    : trimmed;
}

function checkRow(line: number, raw: { timestamp: unknown; value: unknown }): ImportedPoint | LineError {
  const value = typeof raw.value === "string" && raw.value.trim() !== "" ? Number(raw.value) : raw.value;
  const parsed = dataPointInputSchema.safeParse({ timestamp: raw.timestamp, value });
  if (parsed.success && !Number.isNaN(parsed.data.timestamp.getTime())) return { line, ...parsed.data };
  const messages = parsed.success ? ["Timestamp must be a date"] : parsed.error.issues.map((issue) => issue.message);
  return { line, message: messages.join("; ") };
}

export function parseCsv(text: string): (ImportedPoint | LineError)[] {
  const rows: (ImportedPoint | LineError)[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((content, index) => {
    if (content.trim() === "") return;
    const cells = content.split(",").map(unquote);
    if (index === 0 && cells.length === 2 && /^[a-z_ ]+$/i.test(cells[0] ?? "") && /^[a-z_ ]+$/i.test(cells[1] ?? ""))
      return;
    if (cells.length !== 2) {
      rows.push({ line: index + 1, message: "Expected two columns: timestamp,value" });
      return;
    }
    rows.push(checkRow(index + 1, { timestamp: cells[0], value: cells[1] }));
  });
  return rows;
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
