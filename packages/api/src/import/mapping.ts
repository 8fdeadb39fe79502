import { dateFormats } from "@northstar/core/csv/dates";
import { kpiInputSchema } from "@northstar/core/schemas";
import { z } from "zod";

// What an import is told: which column holds the timestamps, and where each value column goes
// (an existing KPI, or a new one created by the import), plus the answers to the reader's
// questions (a date format, a decimal separator) when the file does not settle them. Shared by the
// tRPC procedures, the host's upload route (as query parameters) and the public API's adapter.

export const kpiAggregations = ["SUM", "AVERAGE", "LAST", "MIN", "MAX"] as const;

/** Most value columns one import may map. */
export const maxImportColumns = 20;

const column = z.union([
  z.string().trim().min(1, "Name a column").max(200, "Column names are at most 200 characters"),
  z.number().int().min(0, "Column positions start at 0").max(10_000),
]);

export const newKpiSchema = z.object({
  name: kpiInputSchema.shape.name,
  unit: kpiInputSchema.shape.unit,
  category: kpiInputSchema.shape.category,
  direction: kpiInputSchema.shape.direction,
  aggregation: z
    .enum(kpiAggregations, { error: `Aggregation must be one of ${kpiAggregations.join(", ")}` })
    .default("AVERAGE"),
});

export const importTargetSchema = z.union([
  z.object({ kpiId: z.uuid({ error: "KPI id must be a UUID" }) }),
  z.object({ newKpi: newKpiSchema }),
]);

export const importMappingSchema = z.object({
  /** A header name or a 0-based position. */
  timestampColumn: column,
  columns: z
    .array(z.object({ column, target: importTargetSchema }))
    .min(1, "Map at least one value column to a KPI")
    .max(maxImportColumns, `Map at most ${maxImportColumns} columns in one import`),
  /** Whether the first row names the columns; default: detected. */
  header: z.boolean().optional(),
  delimiter: z.enum([",", ";", "\t", "|"], { error: "Delimiter must be a comma, semicolon, tab or pipe" }).optional(),
  decimal: z.enum([".", ","], { error: 'Decimal separator must be "." or ","' }).optional(),
  dateFormat: z.enum(dateFormats, { error: `Date format must be one of ${dateFormats.join(", ")}` }).optional(),
  /** IANA zone for dates without an offset; default: the workspace's. */
  timeZone: z.string().trim().min(1).max(64).optional(),
});

export type ImportMapping = z.infer<typeof importMappingSchema>;
export type ImportTarget = z.infer<typeof importTargetSchema>;
export type NewKpi = z.infer<typeof newKpiSchema>;

/** The column names of one import for messages ("column 2" for a position). */
export function columnLabel(value: string | number): string {
  return typeof value === "number" ? `column ${value + 1}` : value;
}
