import { describe, expect, test } from "vitest";
import { useStripeStandIn } from "../src/testing/stripe-stand-in.ts";
import { billedUser } from "./billing-support.ts";
import { createWorkspace, expectCode, useApiDatabase } from "./support.ts";

// Checkout and the Billing Portal through the official SDK, pointed at a local stand-in for
// Stripe on 127.0.0.1 that records what we send.

const ctx = useApiDatabase();
const stripe = useStripeStandIn();
const appUrl = "https://northstar.example";

describe("subscription checkout and portal", () => {
  test("checkout sends the plan's price, the user's id and email, and the workspace's Billing page", async () => {
    const user = await billedUser(ctx(), "Buyer", stripe.billing(appUrl));
    const { slug } = await createWorkspace(ctx().admin, [[user.id, "OWNER"]]);
    const { url } = await user.caller.subscription.checkout({
      plan: "BUSINESS",
      period: "YEARLY",
      workspaceSlug: slug,
    });
    expect(url).toMatch(new RegExp(`^${stripe.url}/pay/cs_test_\\d+$`));
    const sent = stripe.requests.at(-1);
    expect(sent?.path).toBe("/v1/checkout/sessions");
    expect(sent?.form).toMatchObject({
      mode: "subscription",
      "line_items[0][price]": "price_business_yearly",
      "line_items[0][quantity]": "1",
      client_reference_id: user.id,
      customer_email: user.email,
      "metadata[northstar_user_id]": user.id,
      "subscription_data[metadata][northstar_user_id]": user.id,
      success_url: `${appUrl}/w/${slug}/billing?checkout=success`,
      cancel_url: `${appUrl}/w/${slug}/billing?checkout=cancelled`,
    });
    expect(sent?.form.customer).toBeUndefined();
  });

  test("a returning customer checks out and manages billing as the Stripe customer already linked", async () => {
    const user = await billedUser(ctx(), "Returning", stripe.billing(appUrl));
    const { slug } = await createWorkspace(ctx().admin, [[user.id, "OWNER"]]);
    await expectCode(user.caller.subscription.portal({ workspaceSlug: slug }), "PRECONDITION_FAILED");
    await ctx().admin.query(
      `INSERT INTO subscriptions (user_id, status, plan, current_period_start, current_period_end,
                                  external_customer_id, external_subscription_id)
       VALUES ($1, 'CANCELED', 'PRO', now() - interval '40 days', now() - interval '10 days', 'cus_returning', 'sub_old')`,
      [user.id],
    );
    await user.caller.subscription.checkout({ plan: "PRO", period: "MONTHLY", workspaceSlug: slug });
    expect(stripe.requests.at(-1)?.form).toMatchObject({
      customer: "cus_returning",
      "line_items[0][price]": "price_pro_monthly",
    });
    expect(stripe.requests.at(-1)?.form.customer_email).toBeUndefined();

    const { url } = await user.caller.subscription.portal({ workspaceSlug: slug });
    expect(url).toBe(`${stripe.url}/portal`);
    expect(stripe.requests.at(-1)).toMatchObject({
      path: "/v1/billing_portal/sessions",
      form: { customer: "cus_returning", return_url: `${appUrl}/w/${slug}/billing` },
    });
  });

  test("billing off: no checkout, and the plan says so", async () => {
    const user = await billedUser(ctx(), "SelfHoster", { mode: "self-hosted", plan: "UNLIMITED" });
    const { slug } = await createWorkspace(ctx().admin, [[user.id, "OWNER"]]);
    const before = stripe.requests.length;
    const error = await expectCode(
      user.caller.subscription.checkout({ plan: "PRO", period: "MONTHLY", workspaceSlug: slug }),
      "PRECONDITION_FAILED",
    );
    expect(error.message).toContain("Billing is off");
    expect(stripe.requests.length).toBe(before);
  });
});
