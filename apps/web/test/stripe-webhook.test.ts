import {
  signPayload,
  stripeEvent,
  stripeSubscription,
  testWebhookSecret,
  useStripeStandIn,
} from "@northstar/api/testing/stripe-stand-in";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createUser, type RunningHost, startHost, useHostDatabase } from "./support.ts";

// POST /webhooks/stripe over real HTTP against the host, payloads signed by the SDK's own test
// helper: valid, bad signature, stale timestamp, duplicate, out of order, unknown event.

const ctx = useHostDatabase();
const stripe = useStripeStandIn();
let host: RunningHost;

beforeAll(async () => {
  host = await startHost({ database: ctx().db, billing: stripe.billing("http://unused") });
});
afterAll(async () => {
  await host.close();
});

const now = () => Math.floor(Date.now() / 1000);

async function post(event: object, sign: { secret?: string; timestamp?: number } = {}) {
  const payload = JSON.stringify(event);
  const response = await fetch(`${host.url}/webhooks/stripe`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": signPayload(payload, sign) },
    body: payload,
  });
  return { status: response.status, body: (await response.json()) as { outcome?: string } };
}

async function stored(subscriptionId: string) {
  const { rows } = await ctx().admin.query<{
    user_id: string;
    status: string;
    plan: string;
    billing_period: string;
    cancel_at_period_end: boolean;
    current_period_end: Date;
    updated_at: Date;
  }>("SELECT * FROM subscriptions WHERE external_subscription_id = $1", [subscriptionId]);
  return rows;
}

describe("POST /webhooks/stripe", () => {
  test("a valid subscription event mirrors Stripe's state into the user's subscription", async () => {
    const user = await createUser(ctx().admin, "Subscriber");
    const subscription = stripeSubscription({ userId: user.id, customer: "cus_valid", price: "price_business_yearly" });
    const answer = await post(stripeEvent("customer.subscription.created", subscription));
    expect(answer).toEqual({ status: 200, body: { received: true, outcome: "applied" } });
    const [row] = await stored(subscription.id);
    expect(row).toMatchObject({
      user_id: user.id,
      status: "ACTIVE",
      plan: "BUSINESS",
      billing_period: "YEARLY",
      cancel_at_period_end: false,
    });
    expect(row?.current_period_end.getTime()).toBe((subscription.items.data[0]?.current_period_end ?? 0) * 1000);

    // Payment trouble, then the money arrives; finally the subscription ends.
    const invoice = (kind: string, created: number) =>
      stripeEvent(
        kind,
        { object: "invoice", parent: { subscription_details: { subscription: subscription.id } } },
        { created },
      );
    expect((await post(invoice("invoice.payment_failed", now() + 1))).body.outcome).toBe("applied");
    expect((await stored(subscription.id))[0]?.status).toBe("PAST_DUE");
    expect((await post(invoice("invoice.paid", now() + 2))).body.outcome).toBe("applied");
    expect((await stored(subscription.id))[0]?.status).toBe("ACTIVE");
    const ended = { ...subscription, status: "canceled" };
    expect((await post(stripeEvent("customer.subscription.deleted", ended, { created: now() + 3 }))).body.outcome).toBe(
      "applied",
    );
    expect((await stored(subscription.id))[0]?.status).toBe("CANCELED");
  });

  test("checkout completed: the subscription is read from Stripe and linked to the user", async () => {
    const user = await createUser(ctx().admin, "CheckedOut");
    const subscription = stripeSubscription({ userId: user.id, customer: "cus_checkout" });
    stripe.subscriptions.set(subscription.id, subscription);
    const session = { id: "cs_test_done", object: "checkout.session", subscription: subscription.id };
    expect((await post(stripeEvent("checkout.session.completed", session))).body.outcome).toBe("applied");
    expect(await stored(subscription.id)).toEqual([expect.objectContaining({ user_id: user.id, plan: "PRO" })]);
    expect(stripe.requests.at(-1)).toMatchObject({ method: "GET", path: `/v1/subscriptions/${subscription.id}` });
  });

  test("a bad signature or a stale timestamp is refused with 400 and changes nothing", async () => {
    const user = await createUser(ctx().admin, "Forger");
    const subscription = stripeSubscription({ userId: user.id, customer: "cus_forged" });
    const event = stripeEvent("customer.subscription.created", subscription);
    expect((await post(event, { secret: "whsec_someone_else" })).status).toBe(400);
    expect((await post(event, { secret: testWebhookSecret, timestamp: now() - 600 })).status).toBe(400);
    const unsigned = await fetch(`${host.url}/webhooks/stripe`, { method: "POST", body: JSON.stringify(event) });
    expect(unsigned.status).toBe(400);
    expect(await stored(subscription.id)).toEqual([]);
    const { rows } = await ctx().admin.query("SELECT 1 FROM billing_events WHERE id = $1", [event.id]);
    expect(rows).toEqual([]);
  });

  test("a duplicate delivery is handled once", async () => {
    const user = await createUser(ctx().admin, "Retried");
    const subscription = stripeSubscription({ userId: user.id, customer: "cus_retried" });
    const event = stripeEvent("customer.subscription.updated", subscription);
    const answers = await Promise.all([post(event), post(event)]);
    expect(answers.map((answer) => answer.body.outcome).sort()).toEqual(["applied", "duplicate"]);
    const first = await stored(subscription.id);
    expect((await post(event)).body.outcome).toBe("duplicate");
    expect(await stored(subscription.id)).toEqual(first);
    const { rows } = await ctx().admin.query("SELECT type FROM billing_events WHERE id = $1", [event.id]);
    expect(rows).toEqual([{ type: "customer.subscription.updated" }]);
  });

  test("out of order: an older update arriving after a newer one leaves the newer state", async () => {
    const user = await createUser(ctx().admin, "Reordered");
    const base = { userId: user.id, customer: "cus_reordered" };
    const subscription = stripeSubscription(base);
    const [item] = subscription.items.data;
    if (!item) throw new Error("a subscription has an item");
    const older = stripeEvent(
      "customer.subscription.updated",
      { ...subscription, status: "past_due" },
      { created: now() - 60 },
    );
    const newer = stripeEvent(
      "customer.subscription.updated",
      {
        ...subscription,
        cancel_at_period_end: true,
        items: {
          ...subscription.items,
          data: [{ ...item, price: { id: "price_business_monthly", object: "price" } }],
        },
      },
      { created: now() },
    );
    expect((await post(newer)).body.outcome).toBe("applied");
    expect((await post(older)).body.outcome).toBe("stale");
    expect(await stored(subscription.id)).toEqual([
      expect.objectContaining({ status: "ACTIVE", plan: "BUSINESS", cancel_at_period_end: true }),
    ]);
    // An older invoice failure is stale too.
    const failed = stripeEvent(
      "invoice.payment_failed",
      { object: "invoice", parent: { subscription_details: { subscription: subscription.id } } },
      { created: now() - 30 },
    );
    expect((await post(failed)).body.outcome).toBe("unchanged");
    expect((await stored(subscription.id))[0]?.status).toBe("ACTIVE");
  });

  test("an unknown event type is acknowledged and ignored", async () => {
    const event = stripeEvent("customer.created", { id: "cus_new", object: "customer" });
    expect(await post(event)).toEqual({ status: 200, body: { received: true, outcome: "ignored" } });
    const { rows } = await ctx().admin.query("SELECT 1 FROM billing_events WHERE id = $1", [event.id]);
    expect(rows).toEqual([]);
  });
});
