import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { formatDate } from "../lib/format.ts";
import { roleLabels } from "../lib/permissions.ts";
import { useTRPC } from "../trpc.ts";
import { CardSkeletons } from "./Feedback.tsx";
import { Loaded } from "./Loaded.tsx";
import { MutationButton } from "./MutationButton.tsx";
import { useToast } from "./Toasts.tsx";

// The invitations waiting for my answer. Nobody joins a workspace by being invited: the person
// decides here, one invitation at a time, and lands in the workspace they accepted.

export function MyInvitations() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const invitations = useQuery(trpc.me.invitations.queryOptions());

  const accept = useMutation(
    trpc.me.acceptInvitation.mutationOptions({
      onSuccess: async (workspace) => {
        await queryClient.invalidateQueries(trpc.me.pathFilter());
        toast.success(`You joined “${workspace.name}”.`);
        void navigate(`/w/${workspace.slug}`);
      },
      onError: () => queryClient.invalidateQueries(trpc.me.invitations.queryFilter()),
    }),
  );
  const decline = useMutation(
    trpc.me.declineInvitation.mutationOptions({
      onSuccess: () => {
        toast.success("Invitation declined.");
      },
      onSettled: () => queryClient.invalidateQueries(trpc.me.invitations.queryFilter()),
    }),
  );
  const busy = accept.isPending || decline.isPending;

  return (
    <Loaded query={invitations} placeholder={<CardSkeletons count={1} height="3rem" />}>
      {(pending) =>
        pending.length === 0 ? (
          <p className="muted">No invitations right now.</p>
        ) : (
          <ul className="list" aria-label="Invitations for you">
            {pending.map((invitation) => (
              <li key={invitation.id} className="list-row">
                <span>
                  <strong>{invitation.workspaceName}</strong>{" "}
                  <span className="muted small">
                    as {roleLabels[invitation.role].toLowerCase()}
                    {invitation.invitedByName ? `, invited by ${invitation.invitedByName}` : ""}; expires{" "}
                    {formatDate(invitation.expiresAt)}
                  </span>
                </span>
                <MutationButton
                  className="button button-small button-primary"
                  mutation={accept}
                  input={{ invitationId: invitation.id }}
                  disabled={busy}
                >
                  Accept
                </MutationButton>
                <MutationButton
                  className="button button-small button-quiet"
                  mutation={decline}
                  input={{ invitationId: invitation.id }}
                  disabled={busy}
                  confirm={`Decline the invitation to “${invitation.workspaceName}”?`}
                >
                  Decline
                </MutationButton>
              </li>
            ))}
          </ul>
        )
      }
    </Loaded>
  );
}
