import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import Stripe from "stripe";
import { afterAll, beforeAll } from "vitest";
import { type Billing, createStripeClient, type PriceTable } from "../billing/config.ts";
import { userIdKey } from "../billing/checkout.ts";

// A local HTTP server on 127.0.0.1 that stands in for Stripe in the billing tests of the API, the
// host and the browser: it answers the SDK's Checkout, Portal and subscription calls (recording
// what was sent), plays Stripe's hosted Checkout page (GET /pay/:session: the subscription is
// created, its signed webhooks are delivered, then the browser is sent back), and builds the
// signed events the webhook tests post. Signatures come from the SDK's own test helper.

export const testPrices: PriceTable = {
  PRO: { MONTHLY: "price_pro_monthly", YEARLY: "price_pro_yearly" },
  BUSINESS: { MONTHLY: "price_business_monthly", YEARLY: "price_business_yearly" },
};
export const testWebhookSecret = "whsec_northstar_test_secret";

export interface RecordedRequest {
  method: string;
  path: string;
  /** The form-encoded body as flat keys ("line_items[0][price]"). */
  form: Record<string, string>;
}

export interface SubscriptionFields {
  id?: string;
  customer?: string;
  userId?: string | null;
  status?: Stripe.Subscription.Status;
  price?: string;
  /** Epoch seconds. */
  periodStart?: number;
  periodEnd?: number;
  cancelAtPeriodEnd?: boolean;
}

/** A subscription object as Stripe's API (2026 versions) sends it, with the fields we read. */
export function stripeSubscription(fields: SubscriptionFields = {}) {
  const start = fields.periodStart ?? Math.floor(Date.now() / 1000) - 60;
  const end = fields.periodEnd ?? start + 30 * 86_400;
  return {
    id: fields.id ?? `sub_${randomUUID().replaceAll("-", "")}`,
    object: "subscription",
    customer: fields.customer ?? "cus_test",
    status: fields.status ?? "active",
    cancel_at_period_end: fields.cancelAtPeriodEnd ?? false,
    created: start,
    metadata: fields.userId ? { [userIdKey]: fields.userId } : {},
    items: {
      object: "list",
      data: [
        {
          id: `si_${randomUUID().replaceAll("-", "")}`,
          object: "subscription_item",
          price: { id: fields.price ?? testPrices.PRO.MONTHLY, object: "price" },
          current_period_start: start,
          current_period_end: end,
        },
      ],
    },
  };
}

/** An event envelope around `object`; `created` in epoch seconds. */
export function stripeEvent(type: string, object: object, options: { id?: string; created?: number } = {}) {
  return {
    id: options.id ?? `evt_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    api_version: "2026-10-28.endive",
    created: options.created ?? Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

const signer = new Stripe("sk_test_signer");

/** The Stripe-Signature header for `payload`, by the SDK's test helper; `timestamp` in epoch seconds. */
export function signPayload(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return signer.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? testWebhookSecret,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
}

export interface StripeStandIn {
  /** http://127.0.0.1:<port>, known once the file's beforeAll has run. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Subscriptions the stand-in holds (GET /v1/subscriptions/:id answers from here). */
  readonly subscriptions: Map<string, ReturnType<typeof stripeSubscription>>;
  /** Billing through this stand-in; `appUrl` is where Checkout sends people back. */
  billing(appUrl: string): Billing;
  /** Where the hosted Checkout page delivers its webhooks (the host's /webhooks/stripe). */
  deliverWebhooksTo(url: string): void;
}

function readForm(request: IncomingMessage): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      resolve(Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    });
    request.on("error", reject);
  });
}

function json(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

/** The test file's stand-in: started in a beforeAll (hooks registered after this call see its url). */
export function useStripeStandIn(): StripeStandIn {
  let url = "";
  let webhookUrl: string | null = null;
  const requests: RecordedRequest[] = [];
  const subscriptions = new Map<string, ReturnType<typeof stripeSubscription>>();
  const sessions = new Map<string, Record<string, string>>();

  async function deliver(event: object): Promise<void> {
    if (!webhookUrl) throw new Error("the Stripe stand-in has nowhere to deliver webhooks");
    const payload = JSON.stringify(event);
    const response = await fetch(webhookUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "stripe-signature": signPayload(payload) },
      body: payload,
    });
    if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
  }

  async function pay(sessionId: string, response: ServerResponse): Promise<void> {
    const form = sessions.get(sessionId);
    if (!form) {
      json(response, 404, { error: { message: "No such checkout session" } });
      return;
    }
    const subscription = stripeSubscription({
      customer: form.customer ?? `cus_${sessionId}`,
      userId: form[`subscription_data[metadata][${userIdKey}]`] ?? null,
      ...(form["line_items[0][price]"] ? { price: form["line_items[0][price]"] } : {}),
    });
    subscriptions.set(subscription.id, subscription);
    const session = { id: sessionId, object: "checkout.session", subscription: subscription.id };
    // As Stripe may: the checkout event first, the subscription's own event after it.
    await deliver(stripeEvent("checkout.session.completed", session));
    await deliver(stripeEvent("customer.subscription.created", subscription));
    response.writeHead(303, { location: form.success_url ?? "/" });
    response.end();
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://stand-in").pathname;
    const form = request.method === "POST" ? await readForm(request) : {};
    requests.push({ method: request.method ?? "GET", path, form });
    if (request.method === "POST" && path === "/v1/checkout/sessions") {
      const id = `cs_test_${requests.length}`;
      sessions.set(id, form);
      json(response, 200, { id, object: "checkout.session", url: `${url}/pay/${id}` });
      return;
    }
    if (request.method === "POST" && path === "/v1/billing_portal/sessions") {
      json(response, 200, {
        id: `bps_${requests.length}`,
        object: "billing_portal.session",
        url: `${url}/portal`,
      });
      return;
    }
    const subscription = /^\/v1\/subscriptions\/([\w-]+)$/.exec(path);
    if (request.method === "GET" && subscription?.[1]) {
      const found = subscriptions.get(subscription[1]);
      if (found) json(response, 200, found);
      else json(response, 404, { error: { message: "No such subscription" } });
      return;
    }
    const page = /^\/pay\/([\w-]+)$/.exec(path);
    if (request.method === "GET" && page?.[1]) return pay(page[1], response);
    json(response, 404, {
      error: { type: "invalid_request_error", message: `Unrecognized request URL (${path})` },
    });
  }

  let server: Server | null = null;
  beforeAll(async () => {
    server = createServer((request, response) => {
      handle(request, response).catch((error: unknown) => {
        json(response, 500, { error: { message: String(error) } });
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("the Stripe stand-in has no port");
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server?.closeAllConnections();
      server?.close(() => {
        resolve();
      });
    });
  });

  return {
    get url() {
      return url;
    },
    requests,
    subscriptions,
    billing: (appUrl) => ({
      mode: "stripe",
      stripe: createStripeClient("sk_test_northstar", url),
      webhookSecret: testWebhookSecret,
      prices: testPrices,
      appUrl,
    }),
    deliverWebhooksTo: (target) => {
      webhookUrl = target;
    },
  };
}
