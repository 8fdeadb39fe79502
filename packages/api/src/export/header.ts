import type { PlanName } from "@northstar/core/plans";
import { exportNotes, type ExportTable } from "./tables.ts";

// What an export says about itself: which workspace, when, on which plan, in what format, and what
// it leaves out. The JSON document opens with it; the archive carries it as README.txt.

export const exportFormat = "northstar.workspace-export";
export const exportFormatVersion = 1;

export interface ExportHeader {
  format: typeof exportFormat;
  version: typeof exportFormatVersion;
  exportedAt: string;
  workspace: { id: string; slug: string; name: string };
  exportedBy: string;
  plan: PlanName;
  notes: readonly string[];
  /** Each table's columns, in order, as in the CSV files' header rows. */
  columns: Record<string, readonly string[]>;
}

export function exportHeader(options: {
  workspace: { id: string; slug: string; name: string };
  userId: string;
  plan: PlanName;
  now: Date;
  tables: readonly ExportTable[];
}): ExportHeader {
  return {
    format: exportFormat,
    version: exportFormatVersion,
    exportedAt: options.now.toISOString(),
    workspace: options.workspace,
    exportedBy: options.userId,
    plan: options.plan,
    notes: exportNotes,
    columns: Object.fromEntries(options.tables.map((table) => [table.name, table.columns])),
  };
}

/** The header as the archive's README.txt. */
export function headerText(header: ExportHeader): string {
  const lines = [
    `Northstar workspace export (${header.format}, version ${header.version})`,
    "",
    `Workspace: ${header.workspace.name} (${header.workspace.slug}, ${header.workspace.id})`,
    `Exported at: ${header.exportedAt} by user ${header.exportedBy}`,
    `Plan: ${header.plan}`,
    "",
    "One CSV file per table (RFC 4180: UTF-8, comma-separated, CRLF line ends, a header row).",
    "Times are ISO 8601 in UTC; empty cells are null; config holds JSON.",
    "Text cells that begin with =, +, -, @, a tab or a carriage return are prefixed with ' so that",
    "spreadsheet programs do not run them as formulas; the JSON export has them unchanged.",
    "",
    ...header.notes.map((note) => `- ${note}`),
    "",
  ];
  return lines.join("\r\n");
}
