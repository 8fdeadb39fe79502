import { queryRows } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { planOf, workspacePlanQuery } from "../plans.ts";
import { type Context, createCallerFactory, createTRPCRouter, workspaceReadProcedure } from "../trpc.ts";
import { csvZipExport } from "./csv-zip.ts";
import { exportHeader } from "./header.ts";
import { jsonExport } from "./json.ts";
import { exportTables } from "./tables.ts";

// A workspace's export, opened through the same procedure chain as every API call (a live session,
// a member whose role has workspace.export, the caller's budget and in-flight slot), so the host's
// download route refuses exactly as tRPC would: UNAUTHORIZED, NOT_FOUND for a workspace the caller
// is not in, FORBIDDEN for a role that may not export, TOO_MANY_REQUESTS. Its router is NOT part of
// appRouter: a byte stream is no tRPC answer, so it is reachable only through openWorkspaceExport.
//
// Opening checks and reads the plan; the body reads nothing until it is pulled. No plan limit
// applies: the data is its owners' whatever their plan (an over-limit, read-only workspace too).

export const exportFormats = ["json", "zip"] as const;
export type ExportFormat = (typeof exportFormats)[number];

export interface ExportDownload {
  /** Who asked (the host allows one running export per user). */
  userId: string;
  /** A file name for Content-Disposition: the workspace's slug and the day, ASCII only. */
  filename: string;
  contentType: string;
  /** The file, produced as it is pulled (a page of rows at a time). */
  body: AsyncGenerator<Uint8Array>;
}

const exportRouter = createTRPCRouter({
  open: workspaceReadProcedure("workspace.export")
    .input(z.object({ format: z.enum(exportFormats, { error: "Format must be json or zip" }) }))
    .query(async ({ ctx, input }): Promise<ExportDownload> => {
      const plan = planOf(await queryRows(ctx.read, workspacePlanQuery), ctx.billing);
      const now = ctx.clock();
      const tables = exportTables(ctx.workspace.id);
      const header = exportHeader({
        workspace: { id: ctx.workspace.id, slug: ctx.workspace.slug, name: ctx.workspace.name },
        userId: ctx.session.userId,
        plan,
        now,
        tables,
      });
      const stem = `northstar-${ctx.workspace.slug}-${now.toISOString().slice(0, 10)}`;
      return input.format === "json"
        ? {
            userId: ctx.session.userId,
            filename: `${stem}.json`,
            contentType: "application/json; charset=utf-8",
            body: jsonExport(ctx.read, header, tables),
          }
        : {
            userId: ctx.session.userId,
            filename: `${stem}.zip`,
            contentType: "application/zip",
            body: csvZipExport(ctx.read, header, tables),
          };
    }),
});

const createExportCaller = createCallerFactory(exportRouter);

const forbidden = "Only an owner of this workspace can export its data; ask an owner to export it.";

/** Checks the caller and opens the export; throws the TRPCError a tRPC call would. */
export async function openWorkspaceExport(
  context: Context,
  input: { workspaceId: string; format: ExportFormat },
): Promise<ExportDownload> {
  try {
    return await createExportCaller(context).open(input);
  } catch (error) {
    // The procedures' refusal says "ask an owner or admin"; for an export only an owner will do.
    if (error instanceof TRPCError && error.code === "FORBIDDEN")
      throw new TRPCError({ code: "FORBIDDEN", message: forbidden, cause: error });
    throw error;
  }
}
