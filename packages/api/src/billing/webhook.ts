import { uuidPattern } from "@northstar/core/uuid";
import { type Database, queryRows, type ScopedDb, sql, type SubscriptionStatus } from "@northstar/db";
import Stripe from "stripe";
import { userIdKey } from "./checkout.ts";
import { planOfPrice, type StripeBilling } from "./config.ts";

// Stripe's webhook: the signature over the raw body is checked by the SDK (a wrong one, or a
// timestamp older than the tolerance, is refused), then the event is applied in one transaction
// through the database's billing functions: app.billing_claim_event records its id once (a retry
// or duplicate changes nothing), and the apply functions keep the newest Stripe state whatever
// the arrival order. The subscription row mirrors Stripe: status, plan, period, cancel at period end.

/** Seconds a signature's timestamp may lag (Stripe's own default): replays of old deliveries are refused. */
export const signatureToleranceSeconds = 300;

export type WebhookOutcome =
  | { status: 400; reason: string }
  | { status: 200; outcome: "applied" | "stale" | "duplicate" | "ignored" | "unlinked" | "unchanged" };

const statuses = {
  active: "ACTIVE",
  trialing: "TRIALING",
  past_due: "PAST_DUE",
  canceled: "CANCELED",
  incomplete: "INCOMPLETE",
  // An incomplete subscription whose first payment never came: over, like a cancelled one.
  incomplete_expired: "CANCELED",
  unpaid: "UNPAID",
  paused: "PAUSED",
} as const satisfies Record<Stripe.Subscription.Status, SubscriptionStatus>;
const statusOf = new Map<string, SubscriptionStatus>(Object.entries(statuses));

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : value.id;
}

function toDate(seconds: number): Date {
  return new Date(seconds * 1000);
}

/** Mirrors one subscription object; `observedAt` orders it against what is stored. */
async function applySubscription(
  db: ScopedDb,
  billing: StripeBilling,
  subscription: Stripe.Subscription,
  observedAt: Date,
): Promise<"applied" | "stale" | "unlinked" | "ignored"> {
  const item = subscription.items.data[0];
  const price = item ? planOfPrice(billing.prices, item.price.id) : null;
  const status = statusOf.get(subscription.status);
  // A price this install does not sell (or a status Stripe added since): not ours to mirror.
  if (!item || !price || !status) return "ignored";
  const metadataUser = subscription.metadata[userIdKey];
  const userId = metadataUser && uuidPattern.test(metadataUser) ? metadataUser : null;
  const customer = idOf(subscription.customer);
  const rows = await queryRows(
    db,
    sql<{ outcome: "applied" | "stale" | "unlinked" }>`
      SELECT app.billing_apply_subscription(
        ${userId}::uuid, ${customer}, ${subscription.id}, ${status}::"SubscriptionStatus",
        ${price.plan}::"Plan", ${price.period}::"BillingPeriod",
        ${toDate(item.current_period_start)}::timestamptz, ${toDate(item.current_period_end)}::timestamptz,
        ${subscription.cancel_at_period_end}, ${observedAt}::timestamptz) AS outcome`,
  );
  return rows[0]?.outcome ?? "unlinked";
}

async function applyInvoice(
  db: ScopedDb,
  invoice: Stripe.Invoice,
  paid: boolean,
  observedAt: Date,
): Promise<"applied" | "unchanged" | "ignored"> {
  const subscription = idOf(invoice.parent?.subscription_details?.subscription);
  if (!subscription) return "ignored";
  const rows = await queryRows(
    db,
    sql<{ outcome: "applied" | "unchanged" }>`
      SELECT app.billing_apply_invoice(${subscription}, ${paid}, ${observedAt}::timestamptz) AS outcome`,
  );
  return rows[0]?.outcome ?? "unchanged";
}

/** Verifies and applies one delivery. `payload` is the raw body, exactly as received. */
export async function handleStripeWebhook(
  database: Database,
  billing: StripeBilling,
  payload: string | Uint8Array,
  signature: string | null,
): Promise<WebhookOutcome> {
  if (!signature) return { status: 400, reason: "missing Stripe-Signature header" };
  let event: Stripe.Event;
  try {
    event = await billing.stripe.webhooks.constructEventAsync(
      payload,
      signature,
      billing.webhookSecret,
      signatureToleranceSeconds,
    );
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError)
      return { status: 400, reason: "signature verification failed" };
    throw error;
  }
  const eventAt = toDate(event.created);

  // Checkout only says a subscription exists: its state is read from Stripe before the
  // transaction opens, and is as new as that read.
  let checkedOut: { subscription: Stripe.Subscription; observedAt: Date } | null = null;
  if (event.type === "checkout.session.completed") {
    const id = idOf(event.data.object.subscription);
    if (!id) return { status: 200, outcome: "ignored" };
    const observedAt = new Date();
    checkedOut = { subscription: await billing.stripe.subscriptions.retrieve(id), observedAt };
  }

  const handled = new Set<string>([
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
  ]);
  if (!handled.has(event.type)) return { status: 200, outcome: "ignored" };

  return database.withContext({ userId: null, workspaceId: null }, async (db) => {
    const claimed = await queryRows(
      db,
      sql<{
        fresh: boolean;
      }>`SELECT app.billing_claim_event(${event.id}, ${event.type}, ${eventAt}::timestamptz) AS fresh`,
    );
    if (!claimed[0]?.fresh) return { status: 200, outcome: "duplicate" } as const;
    switch (event.type) {
      case "checkout.session.completed":
        return checkedOut
          ? {
              status: 200,
              outcome: await applySubscription(db, billing, checkedOut.subscription, checkedOut.observedAt),
            }
          : ({ status: 200, outcome: "ignored" } as const);
      case "customer.subscription.created":
      case "customer.subscription.updated":
      case "customer.subscription.deleted":
        return { status: 200, outcome: await applySubscription(db, billing, event.data.object, eventAt) } as const;
      case "invoice.paid":
        return { status: 200, outcome: await applyInvoice(db, event.data.object, true, eventAt) } as const;
      case "invoice.payment_failed":
        return { status: 200, outcome: await applyInvoice(db, event.data.object, false, eventAt) } as const;
      default:
        return { status: 200, outcome: "ignored" } as const;
    }
  });
}
