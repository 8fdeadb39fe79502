import { type Billing, handleStripeWebhook } from "@northstar/api";
import type { Database } from "@northstar/db";
import { Hono } from "hono";
import type { HostBindings } from "./request.ts";

// POST /webhooks/stripe: Stripe's deliveries, passed on as the raw bytes the signature covers
// (any parsing first would break it). 400 for a bad signature or a stale timestamp, so that an
// attacker learns nothing and Stripe's dashboard shows the failure; 200 for everything verified,
// including duplicates and event types we do not handle, so that Stripe stops retrying them.

export function stripeWebhookRoutes(options: { database: Database; billing: Billing | null }): Hono<HostBindings> {
  const routes = new Hono<HostBindings>();
  routes.post("/", async (c) => {
    const billing = options.billing;
    if (billing?.mode !== "stripe")
      return c.json({ error: { code: "NOT_FOUND", message: "Billing is off on this server." } }, 404);
    const payload = new Uint8Array(await c.req.arrayBuffer());
    const outcome = await handleStripeWebhook(
      options.database,
      billing,
      payload,
      c.req.header("stripe-signature") ?? null,
    );
    if (outcome.status === 400) {
      c.var.log.warn({ reason: outcome.reason }, "stripe webhook refused");
      return c.json({ error: { code: "BAD_REQUEST", message: "The Stripe signature did not verify." } }, 400);
    }
    c.var.log.info({ outcome: outcome.outcome }, "stripe webhook");
    return c.json({ received: true, outcome: outcome.outcome });
  });
  return routes;
}
