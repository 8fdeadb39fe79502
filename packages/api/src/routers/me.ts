import type { Prisma } from "@northstar/db";
import type { TRPCRouterRecord } from "@trpc/server";
import { clearedSessionCookie } from "../auth/session.ts";
import { acceptInvitations } from "../invitations.ts";
import { authedProcedure } from "../trpc.ts";

const profileSelect = { id: true, email: true, name: true, image: true, createdAt: true } satisfies Prisma.UserSelect;

export const meRouter = {
  get: authedProcedure.query(async ({ ctx }) => {
    const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.session.userId }, select: profileSelect });
    return { ...user, sessionExpiresAt: ctx.session.expiresAt };
  }),

  /** My workspaces with my role in each, by name. */
  workspaces: authedProcedure.query(async ({ ctx }) => {
    const memberships = await ctx.db.workspaceUser.findMany({
      where: { userId: ctx.session.userId },
      select: { role: true, workspace: { select: { id: true, name: true, slug: true } } },
      orderBy: { workspace: { name: "asc" } },
    });
    return memberships.map(({ role, workspace }) => ({ ...workspace, role }));
  }),

  /** Joins the workspaces whose pending invitations match my email (sign-in does this too). */
  acceptInvitations: authedProcedure.mutation(async ({ ctx }) => {
    return { joinedWorkspaceIds: await acceptInvitations(ctx.db) };
  }),

  signOut: authedProcedure.mutation(async ({ ctx }) => {
    await ctx.db.session.deleteMany({ where: { id: ctx.session.id } });
    ctx.setCookie(clearedSessionCookie(ctx.secureCookies));
    return { signedOut: true };
  }),
} satisfies TRPCRouterRecord;
