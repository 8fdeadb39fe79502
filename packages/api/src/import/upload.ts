import { can, type Permission } from "@northstar/core/permissions";
import type { CsvSource } from "@northstar/core/csv/source";
import { type Database, sql, type WorkspaceRole } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { findSession } from "../auth/session.ts";
import type { Billing } from "../billing/config.ts";
import { callerKey, type CallLimits, type CallSlot, tooManyCalls } from "../call-limits.ts";
import { toTRPCError } from "../errors.ts";
import { importCsv, type ImportResult } from "./engine.ts";
import type { ImportMapping } from "./mapping.ts";

// A file upload's import, for the host's route (apps/web/server/import-route.ts): the same
// checks as a tRPC workspace call (a live session, a member whose role may write KPIs, the
// caller's budget and in-flight slot), then the engine in ONE long transaction. Split in two so
// that the route can answer a refusal with its status before it starts streaming progress.

/** Longest an upload's transaction may stay open: a million rows over a slow link. */
export const uploadTransactionMs = 15 * 60_000;

const permission: Permission = "kpi.write";

export interface Importer {
  userId: string;
  workspaceId: string;
  /** The caller's in-flight slot, held until the import ends. */
  slot: CallSlot | null;
}

export interface ImporterRequest {
  database: Database;
  sessionToken: string | null;
  workspaceId: string;
  limits?: CallLimits | null;
  clock?: () => Date;
  signal?: AbortSignal;
}

/**
 * Who imports: UNAUTHORIZED without a live session, NOT_FOUND outside the workspace, FORBIDDEN
 * for a role that cannot write KPIs, TOO_MANY_REQUESTS past the caller's budget. The slot it
 * takes must be given back with importUpload (which always releases it) or releaseImporter.
 */
export async function resolveImporter(request: ImporterRequest): Promise<Importer> {
  const now = (request.clock ?? (() => new Date()))();
  try {
    const session = request.sessionToken ? await findSession(request.database, request.sessionToken, now) : null;
    if (!session) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
    const reader = request.database.reader({ userId: session.userId, workspaceId: request.workspaceId });
    const [memberships] = await reader.batch(
      sql<{ role: WorkspaceRole }>`
        SELECT wu.role::text AS role FROM workspace_users AS wu
         WHERE wu.workspace_id = ${request.workspaceId}::uuid AND wu.user_id = app.current_user_id()`,
    );
    const role = memberships[0]?.role;
    // Never reveal that a workspace exists to someone outside it.
    if (!role) throw new TRPCError({ code: "NOT_FOUND", message: "Workspace not found." });
    if (!can(role, permission))
      throw new TRPCError({
        code: "FORBIDDEN",
        message: `Your role in this workspace (${role}) does not allow this; ask an owner or admin.`,
      });
    const limits = request.limits;
    if (!limits) return { userId: session.userId, workspaceId: request.workspaceId, slot: null };
    const key = callerKey.user(session.userId);
    const decision = limits.charge("mutation", key);
    if (!decision.allowed)
      throw tooManyCalls(
        `Too many changes in a short time; try again in ${decision.retryAfterSeconds} seconds.`,
        decision.retryAfterSeconds,
      );
    const slot = await limits.enter(key, request.signal);
    if (!slot) throw tooManyCalls("Too many of your requests are still running; try again in 1 second.", 1);
    return { userId: session.userId, workspaceId: request.workspaceId, slot };
  } catch (error) {
    throw toTRPCError(error);
  }
}

export interface UploadRequest {
  database: Database;
  importer: Importer;
  source: CsvSource;
  mapping: ImportMapping;
  billing?: Billing | null;
  onProgress?: (rowsRead: number) => void;
}

/** The upload through the engine, in one transaction as the importer; errors as TRPCErrors. */
export async function importUpload(request: UploadRequest): Promise<ImportResult> {
  const { importer } = request;
  try {
    return await request.database.withContext(
      { userId: importer.userId, workspaceId: importer.workspaceId },
      (db) =>
        importCsv(
          db,
          { workspaceId: importer.workspaceId, billing: request.billing ?? null },
          { source: request.source, mapping: request.mapping, onProgress: request.onProgress },
        ),
      { transactionTimeoutMs: uploadTransactionMs },
    );
  } catch (error) {
    throw toTRPCError(error);
  } finally {
    importer.slot?.release();
  }
}
