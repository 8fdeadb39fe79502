import { previewCsvText } from "@northstar/core/csv/preview";
import { readCsvText, settingsAsOptions } from "@northstar/core/csv/read";
import { type CsvOptions, CsvSettingsError, isRowError } from "@northstar/core/csv/settings";
import { CsvFormatError } from "@northstar/core/csv/tokenize";
import { TRPCError } from "@trpc/server";
import { checkImport, type ImportedPoint, ImportLinesError, type LineError } from "../kpi/import.ts";

// The ONE place the REST API's CSV import (POST /api/v1/kpis/{kpiId}/import) meets the import
// engine: today it reads the chosen columns with @northstar/core's CSV reader, checks the rows
// with kpi/import.ts's checkImport and hands the points to kpi.importPoints (the tRPC import, so
// plan limits and the write are the same code). When the import engine is replaced, only this
// file changes: the REST handler calls importCsv and nothing else of it.

export interface CsvImportRequest {
  workspaceId: string;
  kpiId: string;
  csv: string;
  /** A header name, or a 0-based position written as digits. */
  timestampColumn: string;
  valueColumn: string;
  dateFormat?: CsvOptions["dateFormat"] | undefined;
  timeZone?: string | undefined;
  delimiter?: CsvOptions["delimiter"] | undefined;
}

/** What the adapter needs of the tRPC import. */
export interface ImportProcedure {
  (input: {
    workspaceId: string;
    kpiId: string;
    data: { timestamp: Date; value: number }[];
  }): Promise<{ imported: number }>;
}

function column(name: string): string | number {
  return /^\d+$/.test(name) ? Number(name) : name;
}

function rejected(errors: LineError[]): TRPCError {
  errors.sort((a, b) => a.line - b.line);
  const first = errors.slice(0, 3).map((error) => `line ${error.line}: ${error.message}`);
  return new TRPCError({
    code: "BAD_REQUEST",
    message: `Nothing was imported: ${errors.length} line(s) need fixing (${first.join("; ")}${errors.length > 3 ? "; …" : ""}).`,
    cause: new ImportLinesError(errors),
  });
}

/** Reads the CSV's two chosen columns and imports them all or nothing; BAD_REQUEST lists bad lines. */
export async function importCsv(
  request: CsvImportRequest,
  importPoints: ImportProcedure,
): Promise<{ imported: number }> {
  const options: CsvOptions = {
    header: true,
    timestampColumn: column(request.timestampColumn),
    valueColumns: [column(request.valueColumn)],
    ...(request.dateFormat ? { dateFormat: request.dateFormat } : {}),
    ...(request.timeZone ? { timeZone: request.timeZone } : {}),
    ...(request.delimiter ? { delimiter: request.delimiter } : {}),
  };
  const rows: (ImportedPoint | LineError)[] = [];
  try {
    // A first pass settles the date format from the whole column; the second reads every line by it.
    const preview = previewCsvText(request.csv, { ...options, rows: 1 });
    if (!preview.settings) {
      const questions = preview.questions.map((question) =>
        question.kind === "ambiguous_date"
          ? `dates such as "${question.examples[0] ?? ""}" read as ${question.candidates.join(" or ")}: pass dateFormat`
          : question.message,
      );
      throw new TRPCError({ code: "BAD_REQUEST", message: `Nothing was imported: ${questions.join("; ")}.` });
    }
    for (const row of readCsvText(request.csv, settingsAsOptions(preview.settings))) {
      if (isRowError(row)) rows.push({ line: row.line, message: row.errors.join("; ") });
      else {
        const value = row.values[0];
        if (value === null || value === undefined) rows.push({ line: row.line, message: "Value is empty" });
        else rows.push({ line: row.line, timestamp: new Date(row.timestamp), value });
      }
    }
  } catch (error) {
    if (error instanceof CsvSettingsError || error instanceof CsvFormatError)
      throw new TRPCError({ code: "BAD_REQUEST", message: `Nothing was imported: ${error.message}` });
    throw error;
  }
  const { points, errors } = checkImport(rows);
  if (errors.length > 0) throw rejected(errors);
  if (points.length === 0)
    throw new TRPCError({ code: "BAD_REQUEST", message: "Nothing to import: the file has no data rows." });
  return importPoints({
    workspaceId: request.workspaceId,
    kpiId: request.kpiId,
    data: points.map((point) => ({ timestamp: point.timestamp, value: point.value })),
  });
}
