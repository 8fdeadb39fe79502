// The plans, defined once: the API enforces these limits and the web Billing page shows them.
// UNLIMITED is never sold; it is the default plan of a self-hosted install (billing off).

export const paidPlans = ["PRO", "BUSINESS"] as const;
export type PaidPlan = (typeof paidPlans)[number];
/** The plans a subscription can hold (the database's Plan enum). */
export const subscriptionPlans = ["FREE", ...paidPlans] as const;
export type SubscriptionPlan = (typeof subscriptionPlans)[number];
export const planNames = ["FREE", "PRO", "BUSINESS", "UNLIMITED"] as const;
export type PlanName = (typeof planNames)[number];

export const billingPeriods = ["MONTHLY", "YEARLY"] as const;
export type BillingPeriodName = (typeof billingPeriods)[number];

/** Each limit is a count (or days); null means no limit. */
export interface PlanLimits {
  /** Workspaces a user may own. */
  workspaces: number | null;
  /** Active KPIs per workspace. */
  kpis: number | null;
  /** Integrations per workspace. */
  integrations: number | null;
  /** Members per workspace (owners included). */
  members: number | null;
  /** How far back charts, listings and exports show data points; older points are kept, not shown. */
  historyDays: number | null;
  /** API keys per workspace. */
  apiKeys: number | null;
}

export const planLimits = {
  FREE: { workspaces: 1, kpis: 10, integrations: 1, members: 3, historyDays: 90, apiKeys: 1 },
  PRO: { workspaces: 5, kpis: 200, integrations: 20, members: 25, historyDays: 3 * 365, apiKeys: 10 },
  BUSINESS: { workspaces: 50, kpis: 5_000, integrations: 200, members: 500, historyDays: 10 * 365, apiKeys: 100 },
  UNLIMITED: { workspaces: null, kpis: null, integrations: null, members: null, historyDays: null, apiKeys: null },
} as const satisfies Record<PlanName, PlanLimits>;

/** List prices in US cents, for display; Stripe's Price objects are what is charged. */
export const planPrices = {
  PRO: { MONTHLY: 1_200, YEARLY: 12_000 },
  BUSINESS: { MONTHLY: 4_900, YEARLY: 49_000 },
} as const satisfies Record<PaidPlan, Record<BillingPeriodName, number>>;

/** Higher is better: the order used to pick a workspace's best plan and to tell upgrades from downgrades. */
export const planRank = { FREE: 0, PRO: 1, BUSINESS: 2, UNLIMITED: 3 } as const satisfies Record<PlanName, number>;

/** The limits as people read them ("10 active KPIs per workspace"); for error messages. */
export const limitLabels = {
  workspaces: { one: "owned workspace", many: "owned workspaces" },
  kpis: { one: "active KPI per workspace", many: "active KPIs per workspace" },
  integrations: { one: "integration per workspace", many: "integrations per workspace" },
  members: { one: "member per workspace", many: "members per workspace" },
  historyDays: { one: "day of history", many: "days of history" },
  apiKeys: { one: "API key per workspace", many: "API keys per workspace" },
} as const satisfies Record<keyof PlanLimits, { one: string; many: string }>;

const dayMs = 24 * 60 * 60 * 1000;

/**
 * The oldest instant the plan shows (null: all of it): the start of the UTC day `historyDays`
 * days ago. Whole days, so that the window moves once a day rather than with every request: a
 * chart's oldest bucket does not shift under the reader, and a chart a host keeps (the api's
 * kpi/chart-cache.ts) stays the right answer all day.
 */
export function historyStart(plan: PlanName, now: Date): Date | null {
  const days = planLimits[plan].historyDays;
  return days === null ? null : new Date(Math.floor(now.getTime() / dayMs - days) * dayMs);
}
