import { useQuery } from "@tanstack/react-query";
import { ProgressBar, Skeleton } from "../components/Feedback.tsx";
import { Loaded } from "../components/Loaded.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { formatDate, formatNumber } from "../lib/format.ts";
import { useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// The workspace's plan (its owners' best), what it allows and how much is used; my own
// subscription and its period.

const planNames = { FREE: "Free", PRO: "Pro", BUSINESS: "Business" } as const;
const statusNames = {
  TRIALING: "trial",
  ACTIVE: "active",
  PAST_DUE: "past due: update the payment method",
  CANCELED: "cancelled",
  INCOMPLETE: "incomplete",
} as const;

function Usage({ label, used, limit }: { label: string; used: number; limit: number }) {
  const pct = limit > 0 ? (100 * used) / limit : 100;
  return (
    <div className="usage">
      <div className="usage-label">
        <span>{label}</span>
        <span>
          {formatNumber(used)} of {formatNumber(limit)}
        </span>
      </div>
      <ProgressBar value={pct} label={`${label}: ${used} of ${limit} used`} />
    </div>
  );
}

export function Billing() {
  const trpc = useTRPC();
  const { id: workspaceId } = useWorkspace();
  const workspacePlan = useQuery(trpc.subscription.workspace.queryOptions({ workspaceId }));
  const mine = useQuery(trpc.subscription.mine.queryOptions());

  return (
    <div className="page">
      <PageHeader title="Billing" />
      <section className="card section" aria-labelledby="plan-title">
        <h2 id="plan-title">This workspace</h2>
        <Loaded query={workspacePlan} placeholder={<Skeleton height="8rem" />}>
          {(plan) => (
            <>
              <p>
                <span className="plan-name">{planNames[plan.plan]}</span> plan{" "}
                <span className="muted">(the best plan among its owners)</span>
              </p>
              <Usage label="Active KPIs" used={plan.usage.activeKpis} limit={plan.limits.kpis} />
              <Usage label="Integrations" used={plan.usage.integrations} limit={plan.limits.integrations} />
              <p className="muted small">History kept: {formatNumber(plan.limits.historyDays)} days.</p>
            </>
          )}
        </Loaded>
      </section>
      <section className="card section" aria-labelledby="mine-title">
        <h2 id="mine-title">My subscription</h2>
        <Loaded query={mine} placeholder={<Skeleton height="6rem" />}>
          {(subscription) => (
            <>
              <p>
                <span className="plan-name">{planNames[subscription.plan]}</span>
                {subscription.status ? ` · ${statusNames[subscription.status]}` : " · no paid subscription"}
                {subscription.billingPeriod
                  ? ` · billed ${subscription.billingPeriod === "YEARLY" ? "yearly" : "monthly"}`
                  : ""}
              </p>
              {subscription.currentPeriodEnd ? (
                <p>
                  Current period {formatDate(subscription.currentPeriodStart)} –{" "}
                  {formatDate(subscription.currentPeriodEnd)}
                  {subscription.cancelAtPeriodEnd ? <strong> · ends then (cancelled)</strong> : " · renews then"}
                </p>
              ) : null}
              <Usage
                label="Workspaces I own"
                used={subscription.usage.ownedWorkspaces}
                limit={subscription.limits.workspaces}
              />
            </>
          )}
        </Loaded>
      </section>
    </div>
  );
}
