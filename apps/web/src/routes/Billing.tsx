import { useQuery } from "@tanstack/react-query";
import { ErrorState, ProgressBar, Skeleton } from "../components/Feedback.tsx";
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
        {workspacePlan.isPending ? (
          <Skeleton height="8rem" />
        ) : workspacePlan.isError ? (
          <ErrorState error={workspacePlan.error} onRetry={() => void workspacePlan.refetch()} />
        ) : (
          <>
            <p>
              <span className="plan-name">{planNames[workspacePlan.data.plan]}</span> plan{" "}
              <span className="muted">(the best plan among its owners)</span>
            </p>
            <Usage
              label="Active KPIs"
              used={workspacePlan.data.usage.activeKpis}
              limit={workspacePlan.data.limits.kpis}
            />
            <Usage
              label="Integrations"
              used={workspacePlan.data.usage.integrations}
              limit={workspacePlan.data.limits.integrations}
            />
            <p className="muted small">History kept: {formatNumber(workspacePlan.data.limits.historyDays)} days.</p>
          </>
        )}
      </section>
      <section className="card section" aria-labelledby="mine-title">
        <h2 id="mine-title">My subscription</h2>
        {mine.isPending ? (
          <Skeleton height="6rem" />
        ) : mine.isError ? (
          <ErrorState error={mine.error} onRetry={() => void mine.refetch()} />
        ) : (
          <>
            <p>
              <span className="plan-name">{planNames[mine.data.plan]}</span>
              {mine.data.status ? ` · ${statusNames[mine.data.status]}` : " · no paid subscription"}
              {mine.data.billingPeriod
                ? ` · billed ${mine.data.billingPeriod === "YEARLY" ? "yearly" : "monthly"}`
                : ""}
            </p>
            {mine.data.currentPeriodEnd ? (
              <p>
                Current period {formatDate(mine.data.currentPeriodStart)} – {formatDate(mine.data.currentPeriodEnd)}
                {mine.data.cancelAtPeriodEnd ? <strong> · ends then (cancelled)</strong> : " · renews then"}
              </p>
            ) : null}
            <Usage
              label="Workspaces I own"
              used={mine.data.usage.ownedWorkspaces}
              limit={mine.data.limits.workspaces}
            />
          </>
        )}
      </section>
    </div>
  );
}
