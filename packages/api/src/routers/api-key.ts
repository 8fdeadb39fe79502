import { apiKeyInputSchema } from "@northstar/core/schemas";
import { type Prisma, queryRows, sql } from "@northstar/db";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { newApiKey } from "../auth/api-key.ts";
import { withoutWorkspaceRef, workspaceProcedure } from "../trpc.ts";

// Keys for the public REST API (/api/v1), made and revoked by the workspace's OWNERs and ADMINs.
// The key itself is answered once, by create; the database keeps its hash, and lists show the
// public id (part of the key) so that people can tell keys apart.

/** What clients see of a key: never its hash. */
const apiKeySelect = {
  id: true,
  name: true,
  publicId: true,
  scopes: true,
  createdAt: true,
  lastUsedAt: true,
  revokedAt: true,
  createdBy: { select: { id: true, name: true } },
} satisfies Prisma.ApiKeySelect;

export const apiKeyRouter = {
  /** A new key: `key` is shown this once and cannot be read again. */
  create: workspaceProcedure("apiKey.manage")
    .input(apiKeyInputSchema)
    .mutation(async ({ ctx, input }) => {
      const { name, scopes } = withoutWorkspaceRef(input);
      const { key, publicId, tokenHash } = newApiKey();
      // Raw, because Prisma's create reads every column back, and the API may not read token_hash.
      const rows = await queryRows(
        ctx.db,
        sql<{ id: string }>`
          INSERT INTO api_keys (workspace_id, name, public_id, token_hash, scopes, created_by)
          VALUES (${ctx.workspace.id}::uuid, ${name}, ${publicId}, ${tokenHash}, ${scopes}::"ApiKeyScope"[],
                  ${ctx.session.userId}::uuid)
          RETURNING id::text AS id`,
      );
      const id = rows[0]?.id;
      if (!id) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "The key was not created." });
      return { id, key, publicId };
    }),

  /** The workspace's keys, live ones first, newest first. */
  list: workspaceProcedure("apiKey.manage").query(({ ctx }) =>
    ctx.db.apiKey.findMany({
      where: { workspaceId: ctx.workspace.id },
      select: apiKeySelect,
      orderBy: [{ revokedAt: { sort: "desc", nulls: "first" } }, { createdAt: "desc" }, { id: "asc" }],
      take: 200,
    }),
  ),

  /** Refused from the next request on; revoking a revoked key changes nothing. */
  revoke: workspaceProcedure("apiKey.manage")
    .input(z.object({ keyId: z.uuid({ error: "Key id must be a UUID" }) }))
    .mutation(async ({ ctx, input }) => {
      const revoked = await ctx.db.apiKey.updateMany({
        where: { workspaceId: ctx.workspace.id, id: input.keyId, revokedAt: null },
        data: { revokedAt: ctx.clock() },
      });
      if (revoked.count === 0) {
        const exists = await ctx.db.apiKey.count({ where: { workspaceId: ctx.workspace.id, id: input.keyId } });
        if (exists === 0) throw new TRPCError({ code: "NOT_FOUND", message: "API key not found." });
      }
      return { revoked: true };
    }),
} satisfies TRPCRouterRecord;
