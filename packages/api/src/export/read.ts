import { can } from "@northstar/core/permissions";
import { type ContextReader, sql } from "@northstar/db";
import type { WorkspaceRole } from "@northstar/core/permissions";
import { TRPCError } from "@trpc/server";
import type { ExportRow, ExportTable, ExportValue } from "./tables.ts";

// Reads one table of the export page by page, never the whole of it: a workspace may hold millions
// of data points. Each page is its own short read-only transaction in the caller's and workspace's
// context (the reader's), so an export holds no connection between pages and none for longer than
// one page takes. The caller's role is read again in the same snapshot as every page: an owner
// removed or demoted while the download runs stops getting rows, and the download fails rather
// than ending early as if complete.

/** Rows per page: large enough that round trips do not dominate, small enough to stay a few MB. */
export const exportPageSize = 5_000;

const roleQuery = sql<{ role: WorkspaceRole | null }>`SELECT app.current_workspace_role()::text AS role`;

/** The table's rows, a page at a time, in id order. */
export async function* tablePages(
  read: ContextReader,
  table: ExportTable,
  pageSize: number = exportPageSize,
): AsyncGenerator<ExportRow[]> {
  let after: string | null = null;
  for (;;) {
    const [roles, rows]: readonly [{ role: WorkspaceRole | null }[], ExportRow[]] = await read.batch(
      roleQuery,
      table.page(after, pageSize),
    );
    const role = roles[0]?.role ?? null;
    if (role === null || !can(role, "workspace.export"))
      throw new TRPCError({
        code: "FORBIDDEN",
        message: "Your role in this workspace changed while the export ran; only an owner can export it.",
      });
    if (rows.length > 0) yield rows;
    if (rows.length < pageSize) return;
    const last: ExportValue | undefined = rows.at(-1)?.id;
    if (typeof last !== "string") throw new TypeError(`export table ${table.name} must select its id as text`);
    after = last;
  }
}
