import { canAssignRole } from "@northstar/core/permissions";
import { type Prisma, queryRows, type ScopedDb, sql, type WorkspaceRole } from "@northstar/db";
import { emailSchema, workspaceRoleSchema } from "@northstar/core/schemas";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { assertMemberCapacity } from "../plans.ts";
import { workspaceProcedure } from "../trpc.ts";

// Members and invitations of the context workspace. The rules (only an OWNER touches the OWNER
// role, the last OWNER stays) are checked here for clear errors; the database's policies and its
// deferred "keeps an owner" trigger enforce them again. An invitation makes nobody a member: the
// invitee accepts or declines it (me.acceptInvitation, me.declineInvitation), and until then
// nothing here says whether the email belongs to an account.

const invitationTtlMs = 14 * 24 * 60 * 60 * 1000;

const memberSelect = {
  id: true,
  role: true,
  createdAt: true,
  user: { select: { id: true, name: true, email: true, image: true } },
} satisfies Prisma.WorkspaceUserSelect;

// What the inviter typed and the invitee's answer; nothing of any account behind the email.
const invitationSelect = {
  id: true,
  email: true,
  role: true,
  status: true,
  respondedAt: true,
  expiresAt: true,
  createdAt: true,
} satisfies Prisma.InvitationSelect;

const userIdInput = z.object({ userId: z.uuid({ error: "User id must be a UUID" }) });

function notAllowed(): TRPCError {
  return new TRPCError({ code: "FORBIDDEN", message: "Only an owner can give, change or take away the owner role." });
}

async function membershipOf(db: ScopedDb, workspaceId: string, userId: string) {
  const membership = await db.workspaceUser.findUnique({
    where: { workspaceId_userId: { workspaceId, userId } },
    select: { id: true, role: true },
  });
  if (!membership) throw new TRPCError({ code: "NOT_FOUND", message: "This person is not a member of the workspace." });
  return membership;
}

/**
 * Refuses taking away the last OWNER. The owners' rows are locked, so two owners stepping down at
 * once cannot both see the other one still there: the second waits, then counts again.
 */
async function assertAnotherOwner(
  db: ScopedDb,
  workspaceId: string,
  role: WorkspaceRole,
  message: string,
): Promise<void> {
  if (role !== "OWNER") return;
  const owners = await queryRows(
    db,
    sql<{ id: string }>`
      SELECT id::text AS id FROM workspace_users WHERE workspace_id = ${workspaceId}::uuid AND role = 'OWNER' FOR UPDATE`,
  );
  if (owners.length <= 1) throw new TRPCError({ code: "PRECONDITION_FAILED", message });
}

// The owner trigger is deferred to COMMIT; checking it now turns a violation into an error of
// the statement (inside the transaction) rather than of the commit.
async function checkOwnersNow(db: ScopedDb): Promise<void> {
  await db.$executeRaw`SET CONSTRAINTS ALL IMMEDIATE`;
}

export const memberRouter = {
  list: workspaceProcedure("member.read").query(({ ctx }) =>
    ctx.db.workspaceUser.findMany({
      where: { workspaceId: ctx.workspace.id },
      select: memberSelect,
      orderBy: [{ role: "asc" }, { createdAt: "asc" }],
    }),
  ),

  invitations: workspaceProcedure("member.read").query(({ ctx }) =>
    ctx.db.invitation.findMany({
      where: { workspaceId: ctx.workspace.id },
      select: invitationSelect,
      orderBy: { createdAt: "desc" },
    }),
  ),

  /**
   * Invites an email (only an OWNER invites to the OWNER role). The person joins once they accept,
   * signed in with that email verified by their provider.
   */
  invite: workspaceProcedure("member.manage")
    .input(z.object({ email: emailSchema, role: workspaceRoleSchema.default("MEMBER") }))
    .mutation(async ({ ctx, input }) => {
      if (!canAssignRole(ctx.workspace.role, null, input.role)) throw notAllowed();
      // Members are visible to the inviter anyway; whether anyone else has an account is not.
      const existing = await ctx.db.workspaceUser.count({
        where: { workspaceId: ctx.workspace.id, user: { email: input.email } },
      });
      if (existing > 0) throw new TRPCError({ code: "CONFLICT", message: "This person is already a member." });
      const invited = await ctx.db.invitation.findUnique({
        where: { workspaceId_email: { workspaceId: ctx.workspace.id, email: input.email } },
        select: { status: true },
      });
      if (invited)
        throw new TRPCError({
          code: "CONFLICT",
          message:
            invited.status === "DECLINED"
              ? "This email declined an invitation; withdraw it to invite them again."
              : "This email already has a pending invitation.",
        });
      await assertMemberCapacity(ctx.db, ctx.workspace.id, 1, ctx.billing, ctx.clock());
      return ctx.db.invitation.create({
        data: {
          workspaceId: ctx.workspace.id,
          email: input.email,
          role: input.role,
          invitedById: ctx.session.userId,
          expiresAt: new Date(ctx.clock().getTime() + invitationTtlMs),
        },
        select: invitationSelect,
      });
    }),

  cancelInvitation: workspaceProcedure("member.manage")
    .input(z.object({ invitationId: z.uuid({ error: "Invitation id must be a UUID" }) }))
    .mutation(async ({ ctx, input }) => {
      const invitation = await ctx.db.invitation.findUnique({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: input.invitationId } },
        select: { role: true },
      });
      if (!invitation) throw new TRPCError({ code: "NOT_FOUND", message: "Invitation not found." });
      if (!canAssignRole(ctx.workspace.role, invitation.role, null)) throw notAllowed();
      await ctx.db.invitation.deleteMany({ where: { workspaceId: ctx.workspace.id, id: input.invitationId } });
      return { cancelled: true };
    }),

  changeRole: workspaceProcedure("member.manage")
    .input(userIdInput.extend({ role: workspaceRoleSchema }))
    .mutation(async ({ ctx, input }) => {
      const target = await membershipOf(ctx.db, ctx.workspace.id, input.userId);
      if (!canAssignRole(ctx.workspace.role, target.role, input.role)) throw notAllowed();
      if (target.role === input.role)
        return ctx.db.workspaceUser.findUniqueOrThrow({
          where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: target.id } },
          select: memberSelect,
        });
      await assertAnotherOwner(
        ctx.db,
        ctx.workspace.id,
        target.role,
        "The last owner cannot be demoted: make another member an owner first.",
      );
      const updated = await ctx.db.workspaceUser.update({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: target.id } },
        data: { role: input.role },
        select: memberSelect,
      });
      await checkOwnersNow(ctx.db);
      return updated;
    }),

  remove: workspaceProcedure("member.manage")
    .input(userIdInput)
    .mutation(async ({ ctx, input }) => {
      if (input.userId === ctx.session.userId)
        throw new TRPCError({ code: "BAD_REQUEST", message: "To remove yourself, leave the workspace." });
      const target = await membershipOf(ctx.db, ctx.workspace.id, input.userId);
      if (!canAssignRole(ctx.workspace.role, target.role, null)) throw notAllowed();
      await assertAnotherOwner(
        ctx.db,
        ctx.workspace.id,
        target.role,
        "The last owner cannot be removed: make another member an owner first.",
      );
      await ctx.db.workspaceUser.deleteMany({ where: { workspaceId: ctx.workspace.id, id: target.id } });
      await checkOwnersNow(ctx.db);
      return { removed: true };
    }),

  leave: workspaceProcedure("member.leave").mutation(async ({ ctx }) => {
    await assertAnotherOwner(
      ctx.db,
      ctx.workspace.id,
      ctx.workspace.role,
      "The last owner cannot leave: make another member an owner, or delete the workspace.",
    );
    await ctx.db.workspaceUser.deleteMany({ where: { workspaceId: ctx.workspace.id, userId: ctx.session.userId } });
    await checkOwnersNow(ctx.db);
    return { left: true };
  }),
} satisfies TRPCRouterRecord;
