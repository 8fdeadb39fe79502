import type { TRPCRouterRecord } from "@trpc/server";
import { planLimits, workspacePlan } from "../plans.ts";
import { myPlan } from "../subscription.ts";
import { authedProcedure, workspaceProcedure } from "../trpc.ts";

export const subscriptionRouter = {
  /** My plan, its status and period, its limits and how much of them I use. */
  mine: authedProcedure.query(async ({ ctx }) => {
    const plan = await myPlan(ctx.db, ctx.session.userId, ctx.clock());
    const ownedWorkspaces = await ctx.db.workspaceUser.count({ where: { userId: ctx.session.userId, role: "OWNER" } });
    return { ...plan, limits: planLimits[plan.plan], usage: { ownedWorkspaces } };
  }),

  /** The workspace's plan (its owners' best) with its limits and usage. */
  workspace: workspaceProcedure("plan.read").query(async ({ ctx }) => {
    const plan = await workspacePlan(ctx.db);
    const [activeKpis, integrations] = await Promise.all([
      ctx.db.kpi.count({ where: { workspaceId: ctx.workspace.id, isActive: true } }),
      ctx.db.integration.count({ where: { workspaceId: ctx.workspace.id } }),
    ]);
    return { plan, limits: planLimits[plan], usage: { activeKpis, integrations } };
  }),
} satisfies TRPCRouterRecord;
