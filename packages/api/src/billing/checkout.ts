import type { BillingPeriodName, PaidPlan } from "@northstar/core/plans";
import { TRPCError } from "@trpc/server";
import Stripe from "stripe";
import type { Billing, StripeBilling } from "./config.ts";

// The two pages Stripe hosts for us: Checkout (start or change a plan) and the Billing Portal
// (payment method, invoices, cancel). Both are one SDK call each, made outside any database
// transaction. Stripe customers are linked to our users by id: the Checkout Session carries the
// user's id as client_reference_id and in the subscription's metadata, which is how the webhook
// finds the user; a returning customer is passed as the customer Stripe already knows.

/** The metadata key naming our user on Checkout Sessions and subscriptions. */
export const userIdKey = "northstar_user_id";

export function stripeBillingOf(billing: Billing | null): StripeBilling {
  if (billing?.mode === "stripe") return billing;
  throw new TRPCError({
    code: "PRECONDITION_FAILED",
    message: "Billing is off on this server: every workspace is on the plan its administrator configured.",
  });
}

function stripeUnavailable(error: unknown): TRPCError {
  return new TRPCError({
    code: error instanceof Stripe.errors.StripeInvalidRequestError ? "INTERNAL_SERVER_ERROR" : "BAD_GATEWAY",
    message: "Stripe could not be reached; try again in a minute.",
    cause: error,
  });
}

/** Where Stripe sends people back: the workspace's Billing page, told how it went. */
function billingPage(billing: StripeBilling, workspaceSlug: string, outcome: string): string {
  return `${billing.appUrl}/w/${encodeURIComponent(workspaceSlug)}/billing?checkout=${outcome}`;
}

export interface CheckoutRequest {
  userId: string;
  email: string;
  /** The user's Stripe customer from an earlier checkout; null: Checkout creates one. */
  customer: string | null;
  plan: PaidPlan;
  period: BillingPeriodName;
  workspaceSlug: string;
}

/** A Checkout Session for the plan and period; its URL is where the browser goes next. */
export async function createCheckoutSession(billing: StripeBilling, request: CheckoutRequest): Promise<string> {
  let session: Stripe.Checkout.Session;
  try {
    session = await billing.stripe.checkout.sessions.create({
      mode: "subscription",
      line_items: [{ price: billing.prices[request.plan][request.period], quantity: 1 }],
      client_reference_id: request.userId,
      ...(request.customer ? { customer: request.customer } : { customer_email: request.email }),
      metadata: { [userIdKey]: request.userId, plan: request.plan, period: request.period },
      subscription_data: { metadata: { [userIdKey]: request.userId } },
      success_url: billingPage(billing, request.workspaceSlug, "success"),
      cancel_url: billingPage(billing, request.workspaceSlug, "cancelled"),
    });
  } catch (error) {
    throw stripeUnavailable(error);
  }
  if (!session.url) throw stripeUnavailable(new Error("the Checkout Session came back without a URL"));
  return session.url;
}

/** A Billing Portal session for the customer; back to the workspace's Billing page afterwards. */
export async function createPortalSession(
  billing: StripeBilling,
  customer: string,
  workspaceSlug: string,
): Promise<string> {
  try {
    const session = await billing.stripe.billingPortal.sessions.create({
      customer,
      return_url: `${billing.appUrl}/w/${encodeURIComponent(workspaceSlug)}/billing`,
    });
    return session.url;
  } catch (error) {
    throw stripeUnavailable(error);
  }
}
