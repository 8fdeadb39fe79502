import { billingPeriods, paidPlans } from "@northstar/core/plans";
import { slugSchema } from "@northstar/core/schemas";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { createCheckoutSession, createPortalSession, stripeBillingOf } from "../billing/checkout.ts";
import { overLimit, planLimits, userPlan, workspacePlan } from "../plans.ts";
import { myPlan, stripeCustomerOf } from "../subscription.ts";
import {
  authedProcedure,
  createCallerFactory,
  createTRPCRouter,
  publicProcedure,
  workspaceProcedure,
} from "../trpc.ts";

/**
 * What checkout and the portal need from the database, read in its own short transaction (an
 * authed procedure called in-process) so that the Stripe call after it holds no transaction open.
 */
const accountCaller = createCallerFactory(
  createTRPCRouter({
    account: authedProcedure.query(async ({ ctx }) => {
      const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.session.userId }, select: { email: true } });
      return {
        userId: ctx.session.userId,
        email: user.email,
        customer: await stripeCustomerOf(ctx.db, ctx.session.userId),
      };
    }),
  }),
);

export const subscriptionRouter = {
  /** My plan, its status and period, its limits and how much of them I use; whether billing is on. */
  mine: authedProcedure.query(async ({ ctx }) => {
    const subscription = await myPlan(ctx.db, ctx.session.userId, ctx.clock());
    const plan = await userPlan(ctx.db, ctx.session.userId, ctx.clock(), ctx.billing);
    const ownedWorkspaces = await ctx.db.workspaceUser.count({ where: { userId: ctx.session.userId, role: "OWNER" } });
    return {
      ...subscription,
      plan,
      billing: ctx.billing?.mode === "self-hosted" ? ("off" as const) : ("stripe" as const),
      canManage: (await stripeCustomerOf(ctx.db, ctx.session.userId)) !== null,
      limits: planLimits[plan],
      usage: { ownedWorkspaces },
    };
  }),

  /** The workspace's plan (its owners' best) with its limits, usage, and what is over them. */
  workspace: workspaceProcedure("plan.read").query(async ({ ctx }) => {
    const plan = await workspacePlan(ctx.db, ctx.billing);
    const [activeKpis, integrations, members, pastDueOwners] = await Promise.all([
      ctx.db.kpi.count({ where: { workspaceId: ctx.workspace.id, isActive: true } }),
      ctx.db.integration.count({ where: { workspaceId: ctx.workspace.id } }),
      ctx.db.workspaceUser.count({ where: { workspaceId: ctx.workspace.id } }),
      // Only the caller's own subscriptions are visible: an owner sees whether theirs is past due.
      ctx.workspace.role === "OWNER"
        ? ctx.db.subscription.count({
            where: { userId: ctx.session.userId, status: "PAST_DUE", currentPeriodEnd: { gt: ctx.clock() } },
          })
        : 0,
    ]);
    const usage = { activeKpis, integrations, members };
    return {
      plan,
      billing: ctx.billing?.mode === "self-hosted" ? ("off" as const) : ("stripe" as const),
      limits: planLimits[plan],
      usage,
      overLimit: overLimit(plan, usage),
      pastDue: pastDueOwners > 0,
    };
  }),

  /** A Stripe Checkout Session for a paid plan; the browser goes to its URL. */
  checkout: publicProcedure
    .input(
      z.object({
        plan: z.enum(paidPlans, { error: `Plan must be one of ${paidPlans.join(", ")}` }),
        period: z.enum(billingPeriods, { error: `Period must be one of ${billingPeriods.join(", ")}` }),
        /** The workspace whose Billing page Stripe sends the user back to. */
        workspaceSlug: slugSchema,
      }),
    )
    .mutation(async ({ ctx, input }) => {
      // Signed in first: without a session the answer is UNAUTHORIZED, whatever billing is.
      const account = await accountCaller(ctx).account();
      const billing = stripeBillingOf(ctx.billing);
      return { url: await createCheckoutSession(billing, { ...account, ...input }) };
    }),

  /** A Stripe Billing Portal session (payment method, invoices, cancel); the browser goes to its URL. */
  portal: publicProcedure.input(z.object({ workspaceSlug: slugSchema })).mutation(async ({ ctx, input }) => {
    const account = await accountCaller(ctx).account();
    const billing = stripeBillingOf(ctx.billing);
    if (!account.customer) {
      throw new TRPCError({
        code: "PRECONDITION_FAILED",
        message: "There is no billing account yet: choose a paid plan first.",
      });
    }
    return { url: await createPortalSession(billing, account.customer, input.workspaceSlug) };
  }),
} satisfies TRPCRouterRecord;
