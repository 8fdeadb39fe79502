import { readCsvBatches } from "@northstar/core/csv/read";
import { type CsvQuestion, CsvSettingsError, csvMaxRows, isRowError } from "@northstar/core/csv/settings";
import type { CsvSource } from "@northstar/core/csv/source";
import { CsvEncodingError } from "@northstar/core/csv/source";
import { CsvFormatError } from "@northstar/core/csv/tokenize";
import type { ScopedDb } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import type { Billing } from "../billing/config.ts";
import { ImportLinesError, type ImportedPoint, type LineError } from "../kpi/import.ts";
import { assertKpiCapacity, assertKpiWritable } from "../plans.ts";
import { columnLabel, type ImportMapping, type ImportTarget } from "./mapping.ts";
import { PointWriter, type WriteCounts } from "./writer.ts";

// The one import engine: CSV (a stream of bytes or text) and a mapping in, points of one or more
// KPIs written, inside the caller's transaction. Every caller (the tRPC procedures, the host's
// upload route, the public API) opens a transaction in the member's workspace context, calls
// importCsv, and maps the TRPCError it may throw. All or nothing: any bad line, and the error
// lists the lines and the transaction must roll back (the KPIs it created included).

export interface ImportScope {
  workspaceId: string;
  /** The plan source, as the procedures have it (ctx.billing). */
  billing: Billing | null;
}

export interface CsvImportRequest {
  source: CsvSource;
  mapping: ImportMapping;
  /** Data rows at most; default 1,000,000. */
  maxRows?: number;
  /** Told the data rows read so far, after each slice of the file. */
  onProgress?: (rowsRead: number) => void;
}

export interface ImportedKpi {
  column: string;
  kpiId: string;
  name: string;
  created: boolean;
}

export interface ImportResult extends WriteCounts {
  /** Data rows read. */
  rows: number;
  kpis: ImportedKpi[];
}

/** The cause of a refusal that asks the person something (an ambiguous date column, say). */
export class ImportQuestionsError extends Error {
  readonly questions: CsvQuestion[];
  override readonly name = "ImportQuestionsError";
  constructor(questions: CsvQuestion[]) {
    super(questions.map((question) => question.message).join("; "));
    this.questions = questions;
  }
}

function badRequest(message: string, cause?: Error): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message, cause });
}

/** The reader's refusals of the file as a whole, as messages a person can act on. */
function fileError(error: unknown): unknown {
  if (error instanceof CsvSettingsError) {
    if (error.code === "questions") {
      const cause = new ImportQuestionsError(error.questions);
      return badRequest(`Nothing was imported: answer first: ${cause.message}.`, cause);
    }
    if (error.code === "empty") return badRequest("Nothing to import: the file is empty.", error);
    return badRequest(`Nothing was imported: ${error.message}.`, error);
  }
  if (error instanceof CsvFormatError || error instanceof CsvEncodingError)
    return badRequest(`Nothing was imported: ${error.message}.`, error);
  return error;
}

/** Each mapped column's KPI: the existing ones checked, the new ones created (within the plan). */
async function resolveTargets(
  db: ScopedDb,
  scope: ImportScope,
  columns: { column: string | number; target: ImportTarget }[],
): Promise<ImportedKpi[]> {
  const existingIds = columns.flatMap(({ target }) => ("kpiId" in target ? [target.kpiId] : []));
  if (new Set(existingIds).size !== existingIds.length)
    throw badRequest("Two columns go to the same KPI: map each KPI once.");
  const existing = await db.kpi.findMany({
    where: { workspaceId: scope.workspaceId, id: { in: existingIds } },
    select: { id: true, name: true, isActive: true },
  });
  const byId = new Map(existing.map((kpi) => [kpi.id, kpi]));
  const created = columns.filter(({ target }) => "newKpi" in target).length;
  if (created > 0) await assertKpiCapacity(db, scope.workspaceId, created, scope.billing);
  const kpis: ImportedKpi[] = [];
  for (const { column, target } of columns) {
    const label = columnLabel(column);
    if ("kpiId" in target) {
      const kpi = byId.get(target.kpiId);
      if (!kpi) throw new TRPCError({ code: "NOT_FOUND", message: "KPI not found." });
      if (!kpi.isActive) throw badRequest(`"${kpi.name}" is archived: restore it before importing into it.`);
      await assertKpiWritable(db, scope.workspaceId, kpi.id, scope.billing);
      kpis.push({ column: label, kpiId: kpi.id, name: kpi.name, created: false });
    } else {
      const kpi = await db.kpi.create({
        data: { ...target.newKpi, workspaceId: scope.workspaceId },
        select: { id: true, name: true },
      });
      kpis.push({ column: label, kpiId: kpi.id, name: kpi.name, created: true });
    }
  }
  return kpis;
}

async function workspaceTimeZone(db: ScopedDb, workspaceId: string): Promise<string> {
  const workspace = await db.workspace.findUnique({ where: { id: workspaceId }, select: { timeZone: true } });
  return workspace?.timeZone ?? "UTC";
}

/** Rows read and the writer's counts, or the bad lines (thrown by finish). */
async function finishWrite(writer: PointWriter, rows: number, kpis: ImportedKpi[]): Promise<ImportResult> {
  let counts: WriteCounts;
  try {
    counts = await writer.finish();
  } catch (error) {
    if (!(error instanceof ImportLinesError)) throw error;
    const first = error.lines.slice(0, 3).map((line) => line.message);
    throw badRequest(
      `Nothing was imported: ${error.total} line(s) need fixing (${first.join("; ")}${error.total > 3 ? "; …" : ""}).`,
      error,
    );
  }
  if (counts.points === 0) throw badRequest("Nothing to import: the mapped columns hold no values.");
  return { rows, ...counts, kpis };
}

/**
 * Imports a CSV/TSV file into the mapped KPIs, streamed (memory holds a slice of the file and a
 * batch of points, plus 16 bytes per point for the duplicate check). `db` must be a transaction
 * in the workspace's context, by a member allowed `kpi.write`.
 */
export async function importCsv(db: ScopedDb, scope: ImportScope, request: CsvImportRequest): Promise<ImportResult> {
  const { mapping } = request;
  const kpis = await resolveTargets(db, scope, mapping.columns);
  const timeZone = mapping.timeZone ?? (await workspaceTimeZone(db, scope.workspaceId));
  const writer = new PointWriter(
    db,
    scope.workspaceId,
    kpis.map((kpi) => kpi.kpiId),
    // Messages name a column by its header; one mapped by position, by its KPI.
    mapping.columns.map(({ column }, index) =>
      typeof column === "string" ? column : (kpis[index]?.name ?? columnLabel(column)),
    ),
    kpis.map((kpi) => kpi.created),
  );
  let rows = 0;
  try {
    const batches = readCsvBatches(request.source, {
      timestampColumn: mapping.timestampColumn,
      valueColumns: mapping.columns.map(({ column }) => column),
      header: mapping.header,
      delimiter: mapping.delimiter,
      decimal: mapping.decimal,
      dateFormat: mapping.dateFormat,
      timeZone,
      maxRows: request.maxRows ?? csvMaxRows,
    });
    for await (const batch of batches) {
      for (const row of batch) {
        if (isRowError(row)) {
          // The header's own problem (too few columns) has the header's line; it is not a data row.
          writer.reject(row.line, row.errors.join("; "));
          continue;
        }
        rows++;
        const time = row.timestamp.getTime();
        row.values.forEach((value, index) => {
          if (value !== null) writer.add(row.line, index, time, value);
        });
      }
      await writer.flush();
      request.onProgress?.(rows);
    }
  } catch (error) {
    // A batch may still be in flight: wait for it before the caller rolls back.
    await writer.settle().catch(() => undefined);
    throw fileError(error);
  }
  return finishWrite(writer, rows, kpis);
}

/** The JSON form of the one-KPI import (kpi.importPoints): checked rows into the same writer. */
export async function importPointRows(
  db: ScopedDb,
  scope: ImportScope,
  kpiId: string,
  rows: (ImportedPoint | LineError)[],
): Promise<ImportResult> {
  const kpis = await resolveTargets(db, scope, [{ column: "value", target: { kpiId } }]);
  const writer = new PointWriter(db, scope.workspaceId, [kpiId], ["value"]);
  for (const row of rows) {
    if ("message" in row) writer.reject(row.line, `Line ${row.line}: ${row.message}`);
    else writer.add(row.line, 0, row.timestamp.getTime(), row.value);
    await writer.flush();
  }
  return finishWrite(writer, rows.length, kpis);
}
