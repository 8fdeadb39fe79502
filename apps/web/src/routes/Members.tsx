import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { useNavigate } from "react-router";
import { Badge, CardSkeletons, Field, FormError } from "../components/Feedback.tsx";
import { Loaded } from "../components/Loaded.tsx";
import { MutationButton } from "../components/MutationButton.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { useToast } from "../components/Toasts.tsx";
import { fieldErrors, formError } from "../lib/errors.ts";
import { formatDate } from "../lib/format.ts";
import { can, canAssignRole, type Role, roleLabels, roles } from "../lib/permissions.ts";
import { useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// Members and invitations. Controls follow the caller's role (the API refuses the rest anyway):
// owners and admins invite, change roles and remove; only an owner touches the owner role. An
// invitation stays here, with the invitee's answer, until they accept it (they become a member) or
// someone withdraws it.

const roleHelp: Record<Role, string> = {
  OWNER: "everything, including billing and deleting the workspace",
  ADMIN: "manage members, integrations and settings",
  MEMBER: "create and edit KPIs, values and goals",
  VIEWER: "read only",
};

interface SentInvitation {
  status: "PENDING" | "DECLINED";
  respondedAt: Date | null;
  expiresAt: Date;
}

/** What became of an invitation: waiting, declined (and when), or expired unanswered. */
function invitationStatus(invitation: SentInvitation): {
  label: string;
  tone: "info" | "warn" | "bad";
  detail: string;
} {
  if (invitation.status === "DECLINED")
    return { label: "Declined", tone: "bad", detail: `declined ${formatDate(invitation.respondedAt ?? new Date())}` };
  if (invitation.expiresAt.getTime() <= Date.now())
    return { label: "Expired", tone: "warn", detail: `expired ${formatDate(invitation.expiresAt)}` };
  return { label: "Pending", tone: "info", detail: `expires ${formatDate(invitation.expiresAt)}` };
}

function InviteForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const { id: workspaceId, role } = useWorkspace();
  const id = useId();
  const [email, setEmail] = useState("");
  const [inviteRole, setInviteRole] = useState<Role>("MEMBER");
  const invite = useMutation(
    trpc.workspace.members.invite.mutationOptions({
      meta: { inlineErrors: true },
      onSuccess: async (invitation) => {
        setEmail("");
        toast.success(
          `Invitation sent to ${invitation.email}. They join once they accept it, signed in with that email.`,
        );
        await queryClient.invalidateQueries(trpc.workspace.members.invitations.queryFilter());
      },
    }),
  );
  const errors = fieldErrors(invite.error);
  const submit = (event: React.SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    invite.mutate({ workspaceId, email, role: inviteRole });
  };
  return (
    <form onSubmit={submit} className="inline-form" aria-label="Invite someone" noValidate>
      <Field label="Email" htmlFor={`${id}-email`} error={errors.email}>
        <input
          id={`${id}-email`}
          type="email"
          value={email}
          autoComplete="off"
          placeholder="name@example.com"
          onChange={(event) => {
            setEmail(event.target.value);
          }}
          required
        />
      </Field>
      <Field label="Role" htmlFor={`${id}-role`} error={errors.role}>
        <select
          id={`${id}-role`}
          value={inviteRole}
          onChange={(event) => {
            setInviteRole(roles.find((item) => item === event.target.value) ?? "MEMBER");
          }}
        >
          {roles
            .filter((item) => canAssignRole(role, null, item))
            .map((item) => (
              <option key={item} value={item}>
                {roleLabels[item]}
              </option>
            ))}
        </select>
      </Field>
      <button type="submit" className="button button-primary" disabled={invite.isPending || email.trim() === ""}>
        {invite.isPending ? "Inviting…" : "Invite"}
      </button>
      <FormError message={formError(invite.error)} />
    </form>
  );
}

export function Members() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const navigate = useNavigate();
  const { id: workspaceId, role } = useWorkspace();
  const me = useQuery(trpc.me.get.queryOptions());
  const membersOptions = trpc.workspace.members.list.queryOptions({ workspaceId });
  const members = useQuery(membersOptions);
  const invitations = useQuery(trpc.workspace.members.invitations.queryOptions({ workspaceId }));
  const canManage = can(role, "member.manage");

  const changeRole = useMutation(
    trpc.workspace.members.changeRole.mutationOptions({
      // Optimistic: the select shows the new role at once; a refusal puts the old one back.
      onMutate: async ({ userId, role: next }) => {
        await queryClient.cancelQueries({ queryKey: membersOptions.queryKey });
        const before = queryClient.getQueryData(membersOptions.queryKey);
        queryClient.setQueryData(membersOptions.queryKey, (current) =>
          current?.map((member) => (member.user.id === userId ? { ...member, role: next } : member)),
        );
        return { before };
      },
      onError: (_error, _input, context) => {
        if (context?.before) queryClient.setQueryData(membersOptions.queryKey, context.before);
      },
      onSuccess: (member) => {
        toast.success(`${member.user.name} is now ${roleLabels[member.role].toLowerCase()}.`);
      },
      onSettled: () => queryClient.invalidateQueries(trpc.workspace.pathFilter()),
    }),
  );
  const remove = useMutation(
    trpc.workspace.members.remove.mutationOptions({
      onSuccess: async () => {
        toast.success("Member removed.");
        await queryClient.invalidateQueries(membersOptions);
      },
    }),
  );
  const cancel = useMutation(
    trpc.workspace.members.cancelInvitation.mutationOptions({
      onSuccess: async () => {
        toast.success("Invitation withdrawn.");
        await queryClient.invalidateQueries(trpc.workspace.members.invitations.queryFilter());
      },
    }),
  );
  const leave = useMutation(
    trpc.workspace.members.leave.mutationOptions({
      onSuccess: async () => {
        toast.success("You left the workspace.");
        await queryClient.invalidateQueries(trpc.me.workspaces.queryFilter());
        void navigate("/");
      },
    }),
  );

  return (
    <div className="page">
      <PageHeader
        title="Members"
        description={
          <>
            You are {roleLabels[role].toLowerCase()} here: {roleHelp[role]}.
          </>
        }
      />

      {canManage ? (
        <section className="card section" aria-labelledby="invite-title">
          <h2 id="invite-title">Invite someone</h2>
          <InviteForm />
        </section>
      ) : null}

      <section className="section" aria-labelledby="members-title">
        <h2 id="members-title">People</h2>
        <Loaded query={members} placeholder={<CardSkeletons count={3} height="3rem" />}>
          {(list) => (
            <ul className="list" aria-label="Members">
              {list.map((member) => {
                const self = member.user.id === me.data?.id;
                const assignable = roles.filter(
                  (item) => item === member.role || canAssignRole(role, member.role, item),
                );
                const canChange =
                  canManage &&
                  !self &&
                  canAssignRole(role, member.role, member.role === "OWNER" ? "ADMIN" : member.role);
                return (
                  <li key={member.id} className="list-row member-row" data-testid={`member-${member.user.email}`}>
                    <div className="member-name">
                      <strong>{member.user.name}</strong>
                      {self ? <Badge tone="info">You</Badge> : null}
                      <span className="muted small">{member.user.email}</span>
                    </div>
                    {canChange ? (
                      <label>
                        <span className="visually-hidden">Role of {member.user.name}</span>
                        <select
                          value={member.role}
                          disabled={changeRole.isPending}
                          onChange={(event) => {
                            const next = roles.find((item) => item === event.target.value);
                            if (next) changeRole.mutate({ workspaceId, userId: member.user.id, role: next });
                          }}
                        >
                          {assignable.map((item) => (
                            <option key={item} value={item}>
                              {roleLabels[item]}
                            </option>
                          ))}
                        </select>
                      </label>
                    ) : (
                      <span className="role-label">{roleLabels[member.role]}</span>
                    )}
                    <span className="muted small">joined {formatDate(member.createdAt)}</span>
                    {canChange ? (
                      <MutationButton
                        className="button button-small button-quiet"
                        mutation={remove}
                        input={{ workspaceId, userId: member.user.id }}
                        confirm={`Remove ${member.user.name} from the workspace?`}
                      >
                        Remove
                      </MutationButton>
                    ) : null}
                  </li>
                );
              })}
            </ul>
          )}
        </Loaded>
      </section>

      <section className="section" aria-labelledby="invitations-title">
        <h2 id="invitations-title">Invitations</h2>
        <Loaded query={invitations} placeholder={<CardSkeletons count={1} height="3rem" />}>
          {(sent) =>
            sent.length === 0 ? (
              <p className="muted">No open invitations.</p>
            ) : (
              <ul className="list" aria-label="Invitations">
                {sent.map((invitation) => {
                  const status = invitationStatus(invitation);
                  return (
                    <li key={invitation.id} className="list-row" data-testid={`invitation-${invitation.email}`}>
                      <span>{invitation.email}</span>
                      <span className="role-label">{roleLabels[invitation.role]}</span>
                      <Badge tone={status.tone}>{status.label}</Badge>
                      <span className="muted small">{status.detail}</span>
                      {canManage && canAssignRole(role, invitation.role, null) ? (
                        <MutationButton
                          className="button button-small button-quiet"
                          mutation={cancel}
                          input={{ workspaceId, invitationId: invitation.id }}
                        >
                          {invitation.status === "DECLINED" ? "Remove" : "Withdraw"}
                        </MutationButton>
                      ) : null}
                    </li>
                  );
                })}
              </ul>
            )
          }
        </Loaded>
      </section>

      <section className="section" aria-labelledby="leave-title">
        <h2 id="leave-title">Leave</h2>
        <p className="muted">Leaving removes your access; an owner can invite you again.</p>
        <MutationButton
          className="button button-danger"
          mutation={leave}
          input={{ workspaceId }}
          confirm="Leave this workspace?"
        >
          Leave workspace
        </MutationButton>
      </section>
    </div>
  );
}
