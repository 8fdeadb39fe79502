import { describe, expect, test } from "vitest";
import {
  createUser,
  createWorkspace,
  expectCode,
  giveSubscription,
  ownerMemberViewer,
  signedInUser,
  signIn,
  callerFor,
  useApiDatabase,
} from "./support.ts";

// Invitations with consent: inviting makes nobody a member; the invitee, signed in with the
// invited email, sees the invitation and accepts or declines it. Only an OWNER invites an OWNER,
// and the inviter learns nothing about the account behind an email.

const ctx = useApiDatabase();

/** An OWNER with a workspace, and a person (not yet signed in) with an account. */
async function ownerAndInvitee(inviteeName = "Invitee") {
  const owner = await signedInUser(ctx(), "Olga Owner");
  const workspace = await createWorkspace(ctx().admin, [[owner.id, "OWNER"]]);
  const invitee = await createUser(ctx().admin, inviteeName);
  return { owner, invitee, ws: { workspaceId: workspace.id }, workspace };
}

describe("invitations wait for the invitee", () => {
  test("signing in joins nothing; the invitee lists the invitation, accepts it and joins with the role", async () => {
    const { owner, invitee, ws, workspace } = await ownerAndInvitee();
    const sent = await owner.caller.workspace.members.invite({ ...ws, email: invitee.email, role: "ADMIN" });
    expect(sent).toMatchObject({ email: invitee.email, role: "ADMIN", status: "PENDING", respondedAt: null });

    const caller = callerFor(ctx().db, await signIn(ctx().db, invitee.id));
    expect(await caller.me.workspaces()).toEqual([]);
    await expectCode(caller.workspace.get(ws), "NOT_FOUND");
    const members = await owner.caller.workspace.members.list(ws);
    expect(members.map((member) => member.user.id)).toEqual([owner.id]);

    const mine = await caller.me.invitations();
    expect(mine).toEqual([
      {
        id: sent.id,
        workspaceId: workspace.id,
        workspaceName: `Workspace ${workspace.slug}`,
        role: "ADMIN",
        invitedByName: "Olga Owner",
        expiresAt: sent.expiresAt,
        createdAt: sent.createdAt,
      },
    ]);

    const joined = await caller.me.acceptInvitation({ invitationId: sent.id });
    expect(joined).toEqual({
      id: workspace.id,
      name: `Workspace ${workspace.slug}`,
      slug: workspace.slug,
      role: "ADMIN",
    });
    expect(await caller.me.workspaces()).toEqual([joined]);
    expect(await caller.me.invitations()).toEqual([]);
    expect((await caller.workspace.get(ws)).role).toBe("ADMIN");
    expect(await owner.caller.workspace.members.invitations(ws)).toEqual([]);
    const after = await owner.caller.workspace.members.list(ws);
    expect(after.find((member) => member.user.id === invitee.id)?.role).toBe("ADMIN");
    // Accepted once: the id answers nothing any more.
    await expectCode(caller.me.acceptInvitation({ invitationId: sent.id }), "NOT_FOUND");
  });

  test("declining joins nothing; the inviter sees it declined and withdraws it to invite again", async () => {
    const { owner, invitee, ws } = await ownerAndInvitee();
    const sent = await owner.caller.workspace.members.invite({ ...ws, email: invitee.email });
    const caller = callerFor(ctx().db, await signIn(ctx().db, invitee.id));
    expect(await caller.me.declineInvitation({ invitationId: sent.id })).toEqual({ declined: true });
    expect(await caller.me.workspaces()).toEqual([]);
    expect(await caller.me.invitations()).toEqual([]);
    await expectCode(caller.me.acceptInvitation({ invitationId: sent.id }), "NOT_FOUND");

    const seen = await owner.caller.workspace.members.invitations(ws);
    expect(seen.map((item) => [item.id, item.status])).toEqual([[sent.id, "DECLINED"]]);
    expect(seen[0]?.respondedAt).toBeInstanceOf(Date);
    const again = await expectCode(owner.caller.workspace.members.invite({ ...ws, email: invitee.email }), "CONFLICT");
    expect(again.message).toBe("This email declined an invitation; withdraw it to invite them again.");
    await owner.caller.workspace.members.cancelInvitation({ ...ws, invitationId: sent.id });
    const second = await owner.caller.workspace.members.invite({ ...ws, email: invitee.email });
    expect(await caller.me.invitations()).toEqual([expect.objectContaining({ id: second.id, role: "MEMBER" })]);
  });

  test("an invitation that expired is neither listed nor accepted", async () => {
    const { owner, invitee, ws } = await ownerAndInvitee();
    const sent = await owner.caller.workspace.members.invite({ ...ws, email: invitee.email });
    await ctx().admin.query(
      "UPDATE invitations SET created_at = now() - interval '20 days', expires_at = now() - interval '1 day' WHERE id = $1",
      [sent.id],
    );
    const caller = callerFor(ctx().db, await signIn(ctx().db, invitee.id));
    expect(await caller.me.invitations()).toEqual([]);
    await expectCode(caller.me.acceptInvitation({ invitationId: sent.id }), "NOT_FOUND");
  });
});

describe("who may invite whom", () => {
  test("an ADMIN inviting as OWNER is FORBIDDEN; an OWNER may", async () => {
    const { owner, member, ws } = await ownerMemberViewer(ctx());
    // Four members already: PRO has room for the invitations (FREE's seats are tested below).
    await giveSubscription(ctx().admin, owner.id, "PRO");
    const admin = await signedInUser(ctx(), "Adam Admin");
    await ctx().admin.query("INSERT INTO workspace_users (workspace_id, user_id, role) VALUES ($1, $2, 'ADMIN')", [
      ws.workspaceId,
      admin.id,
    ]);
    await expectCode(
      admin.caller.workspace.members.invite({ ...ws, email: "boss@example.com", role: "OWNER" }),
      "FORBIDDEN",
    );
    await expectCode(member.caller.workspace.members.invite({ ...ws, email: "friend@example.com" }), "FORBIDDEN");
    await admin.caller.workspace.members.invite({ ...ws, email: "helper@example.com", role: "ADMIN" });
    await owner.caller.workspace.members.invite({ ...ws, email: "boss@example.com", role: "OWNER" });
    const roles = (await owner.caller.workspace.members.invitations(ws)).map((item) => [item.email, item.role]);
    expect(roles.sort()).toEqual([
      ["boss@example.com", "OWNER"],
      ["helper@example.com", "ADMIN"],
    ]);
  });

  test("the invite answer reveals nothing about the account behind the email", async () => {
    const { owner, ws } = await ownerAndInvitee();
    const known = await createUser(ctx().admin, "Famous Customer");
    await ctx().admin.query("UPDATE users SET image = 'https://example.com/famous.png' WHERE id = $1", [known.id]);
    // An address with an account and one nobody has: the same answers.
    const unknownEmail = `nobody-${known.id.slice(0, 8)}@example.com`;
    const toKnown = await owner.caller.workspace.members.invite({ ...ws, email: known.email, role: "OWNER" });
    const toUnknown = await owner.caller.workspace.members.invite({ ...ws, email: unknownEmail, role: "OWNER" });
    const shape = (answer: object) => Object.keys(answer).sort();
    expect(shape(toKnown)).toEqual(["createdAt", "email", "expiresAt", "id", "respondedAt", "role", "status"]);
    expect(shape(toUnknown)).toEqual(shape(toKnown));
    expect(toKnown).toMatchObject({ status: "PENDING", respondedAt: null });
    expect(toUnknown).toMatchObject({ status: "PENDING", respondedAt: null });
    // The person behind the address signs in: still nothing shows who they are.
    await signIn(ctx().db, known.id);
    const listed = await owner.caller.workspace.members.invitations(ws);
    expect(listed.map((item) => item.status)).toEqual(["PENDING", "PENDING"]);
    expect(JSON.stringify(listed)).not.toMatch(/Famous|famous\.png/);
    const members = await owner.caller.workspace.members.list(ws);
    expect(members.map((member) => member.user.id)).toEqual([owner.id]);
  });
});

describe("seats", () => {
  test("an open invitation holds a seat: FREE's 3 members are the owner and two invitations", async () => {
    const { owner, ws } = await ownerAndInvitee();
    await owner.caller.workspace.members.invite({ ...ws, email: "first@example.com" });
    await owner.caller.workspace.members.invite({ ...ws, email: "second@example.com" });
    const refused = await expectCode(
      owner.caller.workspace.members.invite({ ...ws, email: "third@example.com" }),
      "PRECONDITION_FAILED",
    );
    expect(refused.message).toBe("The FREE plan allows 3 members per workspace; upgrade the plan to add more.");
    // Withdrawing one gives its seat back.
    const pending = await owner.caller.workspace.members.invitations(ws);
    const first = pending.find((invitation) => invitation.email === "first@example.com");
    await owner.caller.workspace.members.cancelInvitation({ ...ws, invitationId: first?.id ?? "" });
    await owner.caller.workspace.members.invite({ ...ws, email: "third@example.com" });
  });
});
