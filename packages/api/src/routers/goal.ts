import { type ContextReader, queryRows, type ScopedDb } from "@northstar/db";
import { goalPace, goalProgress, linkProgress } from "@northstar/core/goal-progress";
import { goalCriterionSchema, goalInputSchema, goalKpiWeightSchema } from "@northstar/core/schemas";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { withoutWorkspaceRef, workspaceProcedure, workspaceReadProcedure } from "../trpc.ts";
import { assembleGoals, type GoalFilter, type GoalListRow, goalListQueries } from "../goal/list.ts";

function withProgress(goal: GoalListRow, now: Date) {
  const progressPct = goalProgress(goal.kpiLinks);
  return {
    ...goal,
    kpiLinks: goal.kpiLinks.map((link) => ({ ...link, progressPct: linkProgress(link) })),
    progressPct,
    pace: goalPace(progressPct, goal.createdAt, goal.targetDate, now),
  };
}

const goalId = z.uuid({ error: "Goal id must be a UUID" });
const goalRef = z.object({ goalId });
const statusSchema = goalInputSchema.shape.status.unwrap();
const linkInput = z.object({
  kpiId: z.uuid({ error: "KPI id must be a UUID" }),
  weight: goalKpiWeightSchema.default(1),
  criterion: goalCriterionSchema.default("REACH_TARGET"),
});

/** A goal read in a write's transaction: the same statements (and KPI values) as the list's. */
async function findGoal(db: ScopedDb, workspaceId: string, id: string, now: Date): Promise<GoalListRow> {
  const [goalsQuery, linksQuery] = goalListQueries({ workspaceId, statuses: null, excluded: [], goalId: id, now });
  const [goal] = assembleGoals(await queryRows(db, goalsQuery), await queryRows(db, linksQuery));
  if (!goal) throw new TRPCError({ code: "NOT_FOUND", message: "Goal not found." });
  return goal;
}

async function assertKpisExist(db: ScopedDb, workspaceId: string, kpiIds: string[]): Promise<void> {
  const found = await db.kpi.count({ where: { workspaceId, id: { in: kpiIds } } });
  if (found !== new Set(kpiIds).size) throw new TRPCError({ code: "NOT_FOUND", message: "KPI not found." });
}

/** Goals and their links in one round trip and one snapshot. */
async function readGoals(read: ContextReader, filter: GoalFilter): Promise<GoalListRow[]> {
  const [goals, links] = await read.batch(...goalListQueries(filter));
  return assembleGoals(goals, links);
}

export const goalRouter = {
  list: workspaceReadProcedure("goal.read")
    .input(
      z
        .object({ status: z.array(statusSchema).optional(), includeArchived: z.boolean().default(false) })
        .default({ includeArchived: false }),
    )
    .query(async ({ ctx, input }) => {
      const now = ctx.clock();
      const goals = await readGoals(ctx.read, {
        workspaceId: ctx.workspace.id,
        statuses: input.status ?? null,
        excluded: input.includeArchived ? [] : ["ARCHIVED"],
        now,
      });
      return goals.map((goal) => withProgress(goal, now));
    }),

  get: workspaceReadProcedure("goal.read")
    .input(goalRef)
    .query(async ({ ctx, input }) => {
      const [goal] = await readGoals(ctx.read, {
        workspaceId: ctx.workspace.id,
        statuses: null,
        excluded: [],
        goalId: input.goalId,
        now: ctx.clock(),
      });
      if (!goal) throw new TRPCError({ code: "NOT_FOUND", message: "Goal not found." });
      return withProgress(goal, ctx.clock());
    }),

  create: workspaceProcedure("goal.write")
    .input(goalInputSchema.extend({ kpis: z.array(linkInput).max(50, "Link at most 50 KPIs").default([]) }))
    .mutation(async ({ ctx, input }) => {
      const { kpis, ...data } = withoutWorkspaceRef(input);
      if (kpis.length > 0)
        await assertKpisExist(
          ctx.db,
          ctx.workspace.id,
          kpis.map((link) => link.kpiId),
        );
      const created = await ctx.db.goal.create({
        data: { ...data, workspaceId: ctx.workspace.id },
        select: { id: true },
      });
      if (kpis.length > 0) {
        await ctx.db.goalKpi.createMany({
          data: kpis.map((link) => ({ ...link, workspaceId: ctx.workspace.id, goalId: created.id })),
        });
      }
      return withProgress(await findGoal(ctx.db, ctx.workspace.id, created.id, ctx.clock()), ctx.clock());
    }),

  update: workspaceProcedure("goal.write")
    .input(
      goalRef.extend({
        title: goalInputSchema.shape.title.optional(),
        description: goalInputSchema.shape.description.unwrap().optional(),
        targetDate: goalInputSchema.shape.targetDate.unwrap().optional(),
        status: statusSchema.optional(),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { goalId: id, ...data } = withoutWorkspaceRef(input);
      await findGoal(ctx.db, ctx.workspace.id, id, ctx.clock());
      await ctx.db.goal.update({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id } },
        data,
        select: { id: true },
      });
      return withProgress(await findGoal(ctx.db, ctx.workspace.id, id, ctx.clock()), ctx.clock());
    }),

  archive: workspaceProcedure("goal.write")
    .input(goalRef)
    .mutation(async ({ ctx, input }) => {
      const updated = await ctx.db.goal.updateMany({
        where: { workspaceId: ctx.workspace.id, id: input.goalId },
        data: { status: "ARCHIVED" },
      });
      if (updated.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Goal not found." });
      return withProgress(await findGoal(ctx.db, ctx.workspace.id, input.goalId, ctx.clock()), ctx.clock());
    }),

  delete: workspaceProcedure("goal.write")
    .input(goalRef)
    .mutation(async ({ ctx, input }) => {
      const deleted = await ctx.db.goal.deleteMany({ where: { workspaceId: ctx.workspace.id, id: input.goalId } });
      if (deleted.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Goal not found." });
      return { deleted: true };
    }),

  /** Links a KPI to the goal, or changes the link's weight and criterion. */
  linkKpi: workspaceProcedure("goal.write")
    .input(goalRef.extend(linkInput.shape))
    .mutation(async ({ ctx, input }) => {
      await findGoal(ctx.db, ctx.workspace.id, input.goalId, ctx.clock());
      await assertKpisExist(ctx.db, ctx.workspace.id, [input.kpiId]);
      await ctx.db.goalKpi.upsert({
        where: {
          workspaceId_goalId_kpiId: { workspaceId: ctx.workspace.id, goalId: input.goalId, kpiId: input.kpiId },
        },
        create: {
          workspaceId: ctx.workspace.id,
          goalId: input.goalId,
          kpiId: input.kpiId,
          weight: input.weight,
          criterion: input.criterion,
        },
        update: { weight: input.weight, criterion: input.criterion },
        select: { id: true },
      });
      return withProgress(await findGoal(ctx.db, ctx.workspace.id, input.goalId, ctx.clock()), ctx.clock());
    }),

  unlinkKpi: workspaceProcedure("goal.write")
    .input(goalRef.extend({ kpiId: z.uuid({ error: "KPI id must be a UUID" }) }))
    .mutation(async ({ ctx, input }) => {
      const deleted = await ctx.db.goalKpi.deleteMany({
        where: { workspaceId: ctx.workspace.id, goalId: input.goalId, kpiId: input.kpiId },
      });
      if (deleted.count === 0)
        throw new TRPCError({ code: "NOT_FOUND", message: "This KPI is not linked to the goal." });
      return withProgress(await findGoal(ctx.db, ctx.workspace.id, input.goalId, ctx.clock()), ctx.clock());
    }),
} satisfies TRPCRouterRecord;
