import { type Prisma, queryRows, sql } from "@northstar/db";
import { workspaceInputSchema } from "@northstar/core/schemas";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { limitReached, lockLimit, planLimits, workspacePlan } from "../plans.ts";
import { myPlan } from "../subscription.ts";
import { authedProcedure, existenceCheckProcedure, workspaceProcedure } from "../trpc.ts";
import { memberRouter } from "./member.ts";

const workspaceSelect = {
  id: true,
  name: true,
  slug: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.WorkspaceSelect;

/** A slug from a name: lowercase ASCII letters and digits joined by single dashes, 3..48 long. */
export function slugFromName(name: string): string {
  const base = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return base.length >= 3 ? base : `${base || "workspace"}-team`.replace(/^-/, "");
}

async function slugAvailable(db: Prisma.TransactionClient, slug: string): Promise<boolean> {
  const rows = await queryRows(
    db,
    sql<{ available: boolean }>`SELECT app.workspace_slug_available(${slug}) AS available`,
  );
  return rows[0]?.available === true;
}

export const workspaceRouter = {
  /** A free slug for a name: the name's own, else with a number appended (so it tells what is taken, too). */
  suggestSlug: existenceCheckProcedure
    .input(z.object({ name: workspaceInputSchema.shape.name }))
    .query(async ({ ctx, input }) => {
      const base = slugFromName(input.name);
      for (let n = 1; n <= 20; n++) {
        const candidate = n === 1 ? base : `${base}-${n}`;
        if (await slugAvailable(ctx.db, candidate)) return { slug: candidate };
      }
      return { slug: `${base}-${Math.random().toString(36).slice(2, 8)}` };
    }),

  /** Whether a slug is free: it tells anyone whether a workspace exists, so it is budgeted like sign-in. */
  slugAvailable: existenceCheckProcedure
    .input(z.object({ slug: workspaceInputSchema.shape.slug }))
    .query(async ({ ctx, input }) => ({ slug: input.slug, available: await slugAvailable(ctx.db, input.slug) })),

  /** Creates a workspace with the caller as its OWNER (app.create_workspace). */
  create: authedProcedure.input(workspaceInputSchema).mutation(async ({ ctx, input }) => {
    await lockLimit(ctx.db, `workspaces:${ctx.session.userId}`);
    const { plan } = await myPlan(ctx.db, ctx.session.userId, ctx.clock());
    const owned = await ctx.db.workspaceUser.count({ where: { userId: ctx.session.userId, role: "OWNER" } });
    if (owned >= planLimits[plan].workspaces) {
      throw limitReached(plan, planLimits[plan].workspaces, { one: "owned workspace", many: "owned workspaces" });
    }
    if (!(await slugAvailable(ctx.db, input.slug))) {
      throw new TRPCError({ code: "CONFLICT", message: "That workspace URL is taken; choose another slug." });
    }
    const rows = await queryRows(
      ctx.db,
      sql<{ id: string }>`SELECT app.create_workspace(${input.name}, ${input.slug})::text AS id`,
    );
    const id = rows[0]?.id;
    if (!id) throw new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: "The workspace was not created." });
    const workspace = await ctx.db.workspace.findUniqueOrThrow({ where: { id }, select: workspaceSelect });
    return { ...workspace, role: "OWNER" as const };
  }),

  get: workspaceProcedure("workspace.read").query(async ({ ctx }) => {
    const workspace = await ctx.db.workspace.findUniqueOrThrow({
      where: { id: ctx.workspace.id },
      select: workspaceSelect,
    });
    return { ...workspace, role: ctx.workspace.role, plan: await workspacePlan(ctx.db) };
  }),

  rename: workspaceProcedure("workspace.update")
    .input(z.object({ name: workspaceInputSchema.shape.name }))
    .mutation(({ ctx, input }) =>
      ctx.db.workspace.update({ where: { id: ctx.workspace.id }, data: { name: input.name }, select: workspaceSelect }),
    ),

  /** Deletes the workspace and everything in it; the OWNER confirms by typing its slug. */
  delete: workspaceProcedure("workspace.delete")
    .input(z.object({ confirmSlug: z.string({ error: "Type the workspace's slug to confirm" }) }))
    .mutation(async ({ ctx, input }) => {
      if (input.confirmSlug !== ctx.workspace.slug) {
        throw new TRPCError({
          code: "BAD_REQUEST",
          message: `Type the workspace's slug (${ctx.workspace.slug}) to confirm the deletion.`,
        });
      }
      const deleted = await ctx.db.workspace.deleteMany({ where: { id: ctx.workspace.id } });
      if (deleted.count !== 1) throw new TRPCError({ code: "NOT_FOUND", message: "Workspace not found." });
      return { deleted: true };
    }),

  members: memberRouter,
} satisfies TRPCRouterRecord;
