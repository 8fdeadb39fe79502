import { expect, test } from "vitest";
import { parseEnv } from "../server/env.ts";

// Billing's settings: off without a Stripe key (every workspace on NORTHSTAR_PLAN, by default
// UNLIMITED); with a key, the webhook secret and all four prices are required.

const stripe = {
  STRIPE_SECRET_KEY: "sk_test_123",
  STRIPE_WEBHOOK_SECRET: "whsec_123",
  STRIPE_PRICE_PRO_MONTHLY: "price_pm",
  STRIPE_PRICE_PRO_YEARLY: "price_py",
  STRIPE_PRICE_BUSINESS_MONTHLY: "price_bm",
  STRIPE_PRICE_BUSINESS_YEARLY: "price_by",
};

test("without a Stripe key billing is off: UNLIMITED, or the plan NORTHSTAR_PLAN names", () => {
  expect(parseEnv({}).billing).toEqual({ mode: "self-hosted", plan: "UNLIMITED" });
  expect(parseEnv({ NORTHSTAR_PLAN: "PRO" }).billing).toEqual({ mode: "self-hosted", plan: "PRO" });
  expect(() => parseEnv({ NORTHSTAR_PLAN: "GOLD" })).toThrow(/NORTHSTAR_PLAN/);
});

test("with a Stripe key: its prices, its webhook secret, the public URL to come back to", () => {
  const billing = parseEnv({ ...stripe, PUBLIC_URL: "https://northstar.example.com" }).billing;
  expect(billing).toMatchObject({
    mode: "stripe",
    webhookSecret: "whsec_123",
    prices: { PRO: { MONTHLY: "price_pm", YEARLY: "price_py" }, BUSINESS: { MONTHLY: "price_bm", YEARLY: "price_by" } },
    appUrl: "https://northstar.example.com",
  });
  expect(() => parseEnv({ STRIPE_SECRET_KEY: "sk_test_123" })).toThrow(/STRIPE_WEBHOOK_SECRET: required/);
  expect(() => parseEnv({ ...stripe, NORTHSTAR_PLAN: "FREE" })).toThrow(/NORTHSTAR_PLAN/);
});
