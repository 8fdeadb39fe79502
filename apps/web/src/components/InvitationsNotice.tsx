import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useTRPC } from "../trpc.ts";

// Someone who already has workspaces lands in one after signing in, not on the welcome page where
// invitations are answered: this line tells them that invitations are waiting, and where.

export function InvitationsNotice() {
  const trpc = useTRPC();
  const invitations = useQuery(trpc.me.invitations.queryOptions());
  const count = invitations.data?.length ?? 0;
  if (count === 0) return null;
  return (
    <p className="callout">
      {count === 1 ? "An invitation to another workspace is" : `${count} invitations are`} waiting for your answer.{" "}
      <Link to="/welcome">Review</Link>
    </p>
  );
}
