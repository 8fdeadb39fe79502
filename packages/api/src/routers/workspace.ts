import { type Prisma, queryRows, sql } from "@northstar/db";
import { checkTimeZone, TimeZoneError } from "@northstar/core/csv/time-zone";
import { timeZoneSchema, workspaceInputSchema } from "@northstar/core/schemas";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { assertWorkspaceCapacity, workspacePlan } from "../plans.ts";
import { authedProcedure, existenceCheckProcedure, workspaceProcedure } from "../trpc.ts";
import { memberRouter } from "./member.ts";

const workspaceSelect = {
  id: true,
  name: true,
  slug: true,
  timeZone: true,
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

/**
 * Refuses a time zone unless PostgreSQL knows it (pg_timezone_names: its date_trunc and AT TIME
 * ZONE bucket the charts) and so does this runtime (Intl: local timestamps are read with it).
 */
async function assertKnownTimeZone(db: Prisma.TransactionClient, timeZone: string): Promise<void> {
  let known = true;
  try {
    checkTimeZone(timeZone);
  } catch (error) {
    if (!(error instanceof TimeZoneError)) throw error;
    known = false;
  }
  // Asked only for a name Intl knows: never sends PostgreSQL text it would refuse (a NUL byte).
  if (known) {
    const rows = await queryRows(
      db,
      sql<{ known: boolean }>`SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = ${timeZone}) AS known`,
    );
    known = rows[0]?.known === true;
  }
  if (!known) {
    throw new TRPCError({
      code: "BAD_REQUEST",
      message: `"${timeZone.slice(0, 64)}" is not a time zone we know: use an IANA name such as Europe/Berlin, America/New_York or UTC.`,
    });
  }
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
    await assertWorkspaceCapacity(ctx.db, ctx.session.userId, ctx.clock(), ctx.billing);
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
    return { ...workspace, role: ctx.workspace.role, plan: await workspacePlan(ctx.db, ctx.billing) };
  }),

  rename: workspaceProcedure("workspace.update")
    .input(z.object({ name: workspaceInputSchema.shape.name }))
    .mutation(({ ctx, input }) =>
      ctx.db.workspace.update({ where: { id: ctx.workspace.id }, data: { name: input.name }, select: workspaceSelect }),
    ),

  /**
   * Changes the workspace's name and/or time zone (OWNER and ADMIN). The time zone decides where
   * calendar buckets and the dashboard's periods start, and how dates without an offset are read.
   */
  update: workspaceProcedure("workspace.update")
    .input(
      z
        .object({ name: workspaceInputSchema.shape.name.optional(), timeZone: timeZoneSchema.optional() })
        .refine((value) => value.name !== undefined || value.timeZone !== undefined, {
          error: "Give a name or a time zone to change",
        }),
    )
    .mutation(async ({ ctx, input }) => {
      if (input.timeZone !== undefined) await assertKnownTimeZone(ctx.db, input.timeZone);
      return ctx.db.workspace.update({
        where: { id: ctx.workspace.id },
        data: {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.timeZone !== undefined ? { timeZone: input.timeZone } : {}),
        },
        select: workspaceSelect,
      });
    }),

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
