import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// Shown to an owner whose own subscription is past due: Stripe is retrying the payment, and the
// plan lapses if it keeps failing. Other members are not told about an owner's payments.

export function PastDueBanner() {
  const trpc = useTRPC();
  const { id: workspaceId, slug, role } = useWorkspace();
  const plan = useQuery({ ...trpc.subscription.workspace.queryOptions({ workspaceId }), enabled: role === "OWNER" });
  if (role !== "OWNER" || !plan.data?.pastDue) return null;
  return (
    <div className="callout callout-bad" role="alert">
      Your payment for the {plan.data.plan} plan failed and Stripe is retrying it.{" "}
      <Link to={`/w/${slug}/billing`}>Update the payment method</Link> before the plan lapses.
    </div>
  );
}
