import type { BillingPeriod, Plan, Prisma, SubscriptionStatus } from "@northstar/db";

// A user's own plan: the newest subscription that is current; FREE without one.

const subscriptionSelect = {
  plan: true,
  status: true,
  billingPeriod: true,
  currentPeriodStart: true,
  currentPeriodEnd: true,
  cancelAtPeriodEnd: true,
} satisfies Prisma.SubscriptionSelect;

export interface MyPlan {
  plan: Plan;
  status: SubscriptionStatus | null;
  billingPeriod: BillingPeriod | null;
  currentPeriodStart: Date | null;
  currentPeriodEnd: Date | null;
  cancelAtPeriodEnd: boolean;
}

const current: SubscriptionStatus[] = ["ACTIVE", "TRIALING", "PAST_DUE"];

export async function myPlan(db: Prisma.TransactionClient, userId: string, now: Date): Promise<MyPlan> {
  const subscription = await db.subscription.findFirst({
    where: { userId, status: { in: current }, currentPeriodEnd: { gt: now } },
    orderBy: [{ plan: "desc" }, { currentPeriodEnd: "desc" }],
    select: subscriptionSelect,
  });
  if (!subscription) {
    return {
      plan: "FREE",
      status: null,
      billingPeriod: null,
      currentPeriodStart: null,
      currentPeriodEnd: null,
      cancelAtPeriodEnd: false,
    };
  }
  return subscription;
}

/** The Stripe customer the user pays as (from their newest subscription); null before their first checkout. */
export async function stripeCustomerOf(db: Prisma.TransactionClient, userId: string): Promise<string | null> {
  const subscription = await db.subscription.findFirst({
    where: { userId, externalCustomerId: { not: null } },
    orderBy: { createdAt: "desc" },
    select: { externalCustomerId: true },
  });
  return subscription?.externalCustomerId ?? null;
}
