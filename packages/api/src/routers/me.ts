import type { Prisma } from "@northstar/db";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { clearedSessionCookie } from "../auth/session.ts";
import { acceptInvitation, declineInvitation, myInvitations } from "../invitations.ts";
import { authedProcedure } from "../trpc.ts";

const profileSelect = { id: true, email: true, name: true, image: true, createdAt: true } satisfies Prisma.UserSelect;

const invitationInput = z.object({ invitationId: z.uuid({ error: "Invitation id must be a UUID" }) });

function noSuchInvitation(): TRPCError {
  return new TRPCError({
    code: "NOT_FOUND",
    message: "This invitation is not (or no longer) open to you: it may have expired, been withdrawn or answered.",
  });
}

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

  /** Invitations waiting for my answer (to my verified email): workspace, role, who invited me. */
  invitations: authedProcedure.query(({ ctx }) => myInvitations(ctx.db)),

  /** Joins the invitation's workspace with the invited role. */
  acceptInvitation: authedProcedure.input(invitationInput).mutation(async ({ ctx, input }) => {
    const workspaceId = await acceptInvitation(ctx.db, input.invitationId);
    if (!workspaceId) throw noSuchInvitation();
    // A member now, so the workspace and the membership are visible.
    const membership = await ctx.db.workspaceUser.findUniqueOrThrow({
      where: { workspaceId_userId: { workspaceId, userId: ctx.session.userId } },
      select: { role: true, workspace: { select: { id: true, name: true, slug: true } } },
    });
    return { ...membership.workspace, role: membership.role };
  }),

  /** Says no; the inviter sees the invitation as declined. */
  declineInvitation: authedProcedure.input(invitationInput).mutation(async ({ ctx, input }) => {
    if (!(await declineInvitation(ctx.db, input.invitationId))) throw noSuchInvitation();
    return { declined: true };
  }),

  signOut: authedProcedure.mutation(async ({ ctx }) => {
    await ctx.db.session.deleteMany({ where: { id: ctx.session.id } });
    ctx.setCookie(clearedSessionCookie(ctx.secureCookies));
    return { signedOut: true };
  }),
} satisfies TRPCRouterRecord;
