import { type BillingPeriodName, type PaidPlan, type PlanName, planNames } from "@northstar/core/plans";
import { type Environment, httpUrl, parseSettings } from "@northstar/core/settings";
import Stripe from "stripe";
import { z } from "zod";

// Billing's settings from the host's environment, validated once at the edge. With a Stripe secret
// key, plans come from Stripe subscriptions; without one, billing is off (a self-hosted install)
// and every workspace is on NORTHSTAR_PLAN, by default UNLIMITED.

export type PriceTable = Record<PaidPlan, Record<BillingPeriodName, string>>;

export interface StripeBilling {
  mode: "stripe";
  stripe: Stripe;
  /** The webhook endpoint's signing secret (whsec_...). */
  webhookSecret: string;
  /** Stripe Price ids of each paid plan and period. */
  prices: PriceTable;
  /** The app's public origin: Checkout and the Billing Portal send people back here. */
  appUrl: string;
}

export interface SelfHostedBilling {
  mode: "self-hosted";
  plan: PlanName;
}

export type Billing = StripeBilling | SelfHostedBilling;

const priceId = z.string().regex(/^price_\w+$/, "must be a Stripe Price id (price_...)");

const billingEnvSchema = z
  .object({
    STRIPE_SECRET_KEY: z.string().min(1).optional(),
    STRIPE_WEBHOOK_SECRET: z.string().min(1).optional(),
    STRIPE_PRICE_PRO_MONTHLY: priceId.optional(),
    STRIPE_PRICE_PRO_YEARLY: priceId.optional(),
    STRIPE_PRICE_BUSINESS_MONTHLY: priceId.optional(),
    STRIPE_PRICE_BUSINESS_YEARLY: priceId.optional(),
    /** Another Stripe API origin (a local stand-in such as stripe-mock); default: Stripe's. */
    STRIPE_API_URL: httpUrl.optional(),
    NORTHSTAR_PLAN: z.enum(planNames).optional(),
  })
  .superRefine((env, context) => {
    if (env.STRIPE_SECRET_KEY === undefined) return;
    for (const name of [
      "STRIPE_WEBHOOK_SECRET",
      "STRIPE_PRICE_PRO_MONTHLY",
      "STRIPE_PRICE_PRO_YEARLY",
      "STRIPE_PRICE_BUSINESS_MONTHLY",
      "STRIPE_PRICE_BUSINESS_YEARLY",
    ] as const) {
      if (env[name] === undefined)
        context.addIssue({ code: "custom", path: [name], message: "required with STRIPE_SECRET_KEY" });
    }
    // Two sources of truth for the plan would be one too many.
    if (env.NORTHSTAR_PLAN !== undefined)
      context.addIssue({
        code: "custom",
        path: ["NORTHSTAR_PLAN"],
        message: "only for a self-hosted install (no STRIPE_SECRET_KEY)",
      });
  });

/** The Stripe SDK, pointed at `apiUrl` when given (tests and local development use a stand-in). */
export function createStripeClient(secretKey: string, apiUrl?: string): Stripe {
  const target = apiUrl ? new URL(apiUrl) : null;
  return new Stripe(secretKey, {
    // Each call is made once: a retry belongs to the person clicking again, not to a hidden loop.
    maxNetworkRetries: 0,
    ...(target
      ? {
          host: target.hostname,
          port: target.port || (target.protocol === "https:" ? 443 : 80),
          protocol: target.protocol === "https:" ? "https" : "http",
        }
      : {}),
  });
}

export function parseBillingEnv(env: Environment, appUrl: string): Billing {
  const settings = parseSettings(billingEnvSchema, env, "billing");
  if (settings.STRIPE_SECRET_KEY === undefined)
    return { mode: "self-hosted", plan: settings.NORTHSTAR_PLAN ?? "UNLIMITED" };
  const required = (value: string | undefined): string => {
    // Checked by the schema's refinement above; here for the type.
    if (value === undefined) throw new Error("billing settings: a required Stripe setting is missing");
    return value;
  };
  return {
    mode: "stripe",
    stripe: createStripeClient(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_URL),
    webhookSecret: required(settings.STRIPE_WEBHOOK_SECRET),
    prices: {
      PRO: { MONTHLY: required(settings.STRIPE_PRICE_PRO_MONTHLY), YEARLY: required(settings.STRIPE_PRICE_PRO_YEARLY) },
      BUSINESS: {
        MONTHLY: required(settings.STRIPE_PRICE_BUSINESS_MONTHLY),
        YEARLY: required(settings.STRIPE_PRICE_BUSINESS_YEARLY),
      },
    },
    appUrl,
  };
}

/** The plan and period a Stripe Price id stands for (null: a price this install does not sell). */
export function planOfPrice(prices: PriceTable, price: string): { plan: PaidPlan; period: BillingPeriodName } | null {
  for (const plan of ["PRO", "BUSINESS"] as const) {
    for (const period of ["MONTHLY", "YEARLY"] as const) {
      if (prices[plan][period] === price) return { plan, period };
    }
  }
  return null;
}
