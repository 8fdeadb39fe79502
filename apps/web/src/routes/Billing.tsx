import { useMutation, useQuery } from "@tanstack/react-query";
import { type BillingPeriodName, paidPlans, planLimits, planPrices, type PlanName } from "@northstar/core/plans";
import { useState } from "react";
import { useSearchParams } from "react-router";
import { ProgressBar, Skeleton } from "../components/Feedback.tsx";
import { Loaded } from "../components/Loaded.tsx";
import { PageHeader } from "../components/PageHeader.tsx";
import { Segmented } from "../components/Segmented.tsx";
import { formatDate, formatNumber } from "../lib/format.ts";
import { useTRPC } from "../trpc.ts";
import { useWorkspace } from "../workspace.ts";

// The workspace's plan (its owners' best), what it allows, how much is used and what is over it;
// my own subscription, upgrading through Stripe Checkout and managing it in Stripe's Billing
// Portal. With billing off (a self-hosted install) the page says so and offers no payment.

const planNames = { FREE: "Free", PRO: "Pro", BUSINESS: "Business", UNLIMITED: "Unlimited" } as const;
const statusNames = {
  TRIALING: "trial",
  ACTIVE: "active",
  PAST_DUE: "past due: update the payment method",
  CANCELED: "cancelled",
  INCOMPLETE: "incomplete",
  UNPAID: "unpaid",
  PAUSED: "paused",
} as const;

function Usage({ label, used, limit }: { label: string; used: number; limit: number | null }) {
  if (limit === null) {
    return (
      <p className="usage-label">
        <span>{label}</span> <span>{formatNumber(used)} · no limit</span>
      </p>
    );
  }
  const pct = limit > 0 ? (100 * used) / limit : 100;
  return (
    <div className="usage">
      <div className="usage-label">
        <span>{label}</span>
        <span>
          {formatNumber(used)} of {formatNumber(limit)}
        </span>
      </div>
      <ProgressBar value={Math.min(pct, 100)} label={`${label}: ${used} of ${limit} used`} />
    </div>
  );
}

function limitText(value: number | null, unit: string): string {
  return value === null ? `unlimited ${unit}` : `${formatNumber(value)} ${unit}`;
}

function Plans({ current }: { current: PlanName }) {
  const trpc = useTRPC();
  const { slug } = useWorkspace();
  const [period, setPeriod] = useState<BillingPeriodName>("MONTHLY");
  const checkout = useMutation(
    trpc.subscription.checkout.mutationOptions({
      onSuccess: ({ url }) => {
        window.location.assign(url);
      },
    }),
  );
  return (
    <>
      <Segmented
        label="Billing period"
        value={period}
        onChange={setPeriod}
        options={[
          { value: "MONTHLY", label: "Monthly" },
          { value: "YEARLY", label: "Yearly" },
        ]}
      />
      <div className="card-grid">
        {paidPlans.map((plan) => {
          const limits = planLimits[plan];
          const price = planPrices[plan][period] / 100;
          return (
            <div className="card" key={plan}>
              <h3>{planNames[plan]}</h3>
              <p>
                ${formatNumber(price)} / {period === "YEARLY" ? "year" : "month"}
              </p>
              <p className="muted small">
                {limitText(limits.kpis, "active KPIs")}, {limitText(limits.integrations, "integrations")},{" "}
                {limitText(limits.members, "members")}, {limitText(limits.historyDays, "days of history")}
              </p>
              <button
                type="button"
                className="button button-primary"
                disabled={checkout.isPending || plan === current}
                onClick={() => {
                  checkout.mutate({ plan, period, workspaceSlug: slug });
                }}
              >
                {plan === current ? "Current plan" : `Upgrade to ${planNames[plan]}`}
              </button>
            </div>
          );
        })}
      </div>
    </>
  );
}

export function Billing() {
  const trpc = useTRPC();
  const { id: workspaceId, slug } = useWorkspace();
  const [search] = useSearchParams();
  const workspacePlan = useQuery(trpc.subscription.workspace.queryOptions({ workspaceId }));
  const mine = useQuery(trpc.subscription.mine.queryOptions());
  const portal = useMutation(
    trpc.subscription.portal.mutationOptions({
      onSuccess: ({ url }) => {
        window.location.assign(url);
      },
    }),
  );

  return (
    <div className="page">
      <PageHeader title="Billing" />
      {search.get("checkout") === "success" ? (
        <p className="callout" role="status">
          Thank you. The new plan applies as soon as Stripe confirms the payment.
        </p>
      ) : null}
      <section className="card section" aria-labelledby="plan-title">
        <h2 id="plan-title">This workspace</h2>
        <Loaded query={workspacePlan} placeholder={<Skeleton height="8rem" />}>
          {(plan) => (
            <>
              {plan.billing === "off" ? (
                <p className="callout" role="note">
                  Billing is off on this server: every workspace is on the {planNames[plan.plan]} plan its administrator
                  set.
                </p>
              ) : null}
              <p>
                <span className="plan-name">{planNames[plan.plan]}</span> plan{" "}
                {plan.billing === "off" ? null : <span className="muted">(the best plan among its owners)</span>}
              </p>
              <Usage label="Active KPIs" used={plan.usage.activeKpis} limit={plan.limits.kpis} />
              <Usage label="Integrations" used={plan.usage.integrations} limit={plan.limits.integrations} />
              <Usage label="Members" used={plan.usage.members} limit={plan.limits.members} />
              <p className="muted small">
                History shown:{" "}
                {plan.limits.historyDays === null ? "all of it" : `${formatNumber(plan.limits.historyDays)} days`}.
                Older data is kept, and shown again on a plan that reaches it.
              </p>
              {plan.overLimit.kpis > 0 ? (
                <p className="callout callout-bad" role="note">
                  {plan.overLimit.kpis} KPI(s) are over the {planNames[plan.plan]} plan's limit of{" "}
                  {formatNumber(plan.limits.kpis ?? 0)} active KPIs: the newest are read-only until you upgrade or
                  archive others. Nothing was deleted.
                </p>
              ) : null}
            </>
          )}
        </Loaded>
      </section>
      <section className="card section" aria-labelledby="mine-title">
        <h2 id="mine-title">My subscription</h2>
        <Loaded query={mine} placeholder={<Skeleton height="6rem" />}>
          {(subscription) => (
            <>
              {subscription.billing === "off" ? (
                <p>
                  <span className="plan-name">{planNames[subscription.plan]}</span> · set by this server's
                  administrator; nothing is billed
                </p>
              ) : (
                <p>
                  <span className="plan-name">{planNames[subscription.plan]}</span>
                  {subscription.status ? ` · ${statusNames[subscription.status]}` : " · no paid subscription"}
                  {subscription.billingPeriod
                    ? ` · billed ${subscription.billingPeriod === "YEARLY" ? "yearly" : "monthly"}`
                    : ""}
                </p>
              )}
              {subscription.billing !== "off" && subscription.currentPeriodEnd ? (
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
              {subscription.billing === "off" ? null : (
                <>
                  <Plans current={subscription.plan} />
                  {subscription.canManage ? (
                    <button
                      type="button"
                      className="button"
                      disabled={portal.isPending}
                      onClick={() => {
                        portal.mutate({ workspaceSlug: slug });
                      }}
                    >
                      Manage billing
                    </button>
                  ) : null}
                </>
              )}
            </>
          )}
        </Loaded>
      </section>
    </div>
  );
}
