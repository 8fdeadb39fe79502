import { previewCsvText } from "@northstar/core/csv/preview";
import { CsvSettingsError } from "@northstar/core/csv/settings";
import { CsvEncodingError } from "@northstar/core/csv/source";
import { CsvFormatError } from "@northstar/core/csv/tokenize";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { importCsv } from "../import/engine.ts";
import { importMappingSchema } from "../import/mapping.ts";
import { workspaceProcedure } from "../trpc.ts";

// Import of pasted CSV (small: the text travels as one tRPC input). Files go to the host's upload
// route, which streams them through the same engine; both preview with the same reader.

/** Rows a pasted import may hold; a bigger file goes through the upload (a file, streamed). */
export const maxPastedRows = 10_000;

const pastedText = z
  .string()
  .min(1, "Paste some CSV first")
  .max(2_000_000, "Paste at most 2 MB of CSV: upload a bigger file instead");

const previewOptions = importMappingSchema
  .pick({ header: true, delimiter: true, decimal: true, dateFormat: true, timeZone: true })
  .extend({
    timestampColumn: importMappingSchema.shape.timestampColumn.optional(),
    valueColumns: z.array(importMappingSchema.shape.timestampColumn).max(20).optional(),
  });

export const importRouter = {
  /**
   * The pasted text as it will be read: detected settings (from whole columns), the open
   * questions, and the first rows with their problems. Writes nothing.
   */
  preview: workspaceProcedure("kpi.write")
    .input(z.object({ text: pastedText, options: previewOptions.default({}) }))
    .mutation(async ({ ctx, input }) => {
      const workspace = await ctx.db.workspace.findUnique({
        where: { id: ctx.workspace.id },
        select: { timeZone: true },
      });
      const timeZone = input.options.timeZone ?? workspace?.timeZone ?? "UTC";
      try {
        return { ...previewCsvText(input.text, { ...input.options, timeZone, rows: 20 }), timeZone };
      } catch (error) {
        if (error instanceof CsvSettingsError || error instanceof CsvFormatError || error instanceof CsvEncodingError)
          throw new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
        throw error;
      }
    }),

  /** Pasted CSV into one or more KPIs (existing or new), all or nothing, idempotent. */
  csv: workspaceProcedure("kpi.write")
    .input(z.object({ text: pastedText, mapping: importMappingSchema }))
    .mutation(({ ctx, input }) =>
      importCsv(
        ctx.db,
        { workspaceId: ctx.workspace.id, billing: ctx.billing },
        { source: input.text, mapping: input.mapping, maxRows: maxPastedRows },
      ),
    ),
} satisfies TRPCRouterRecord;
