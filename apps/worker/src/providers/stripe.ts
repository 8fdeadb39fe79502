import { z } from "zod";
import { SyncError } from "../sync/errors.ts";
import { type Connector, type DataPoint, snapshotTime, startOfUtcDay } from "./connector.ts";
import { httpGet, type HttpOptions, parseJson, statusError } from "./http.ts";

// Stripe (API key as a bearer token; list endpoints paginated with `starting_after` while
// `has_more`): new customers and revenue (succeeded charges net of refunds, in the configured
// currency) per UTC day, and MRR now from active subscriptions (each item's price normalised to a
// month). Amounts are in the currency's minor unit; two-decimal currencies are divided by 100.

const provider = "Stripe";
const maxPages = 1_000;

const listSchema = z.object({ data: z.array(z.record(z.string(), z.unknown())), has_more: z.boolean() });
const customerSchema = z.object({ id: z.string(), created: z.number() });
const chargeSchema = z.object({
  id: z.string(),
  created: z.number(),
  amount: z.number(),
  amount_refunded: z.number().default(0),
  currency: z.string(),
  status: z.string(),
});
const subscriptionSchema = z.object({
  id: z.string(),
  items: z.object({
    data: z.array(
      z.object({
        quantity: z.number().nullable().default(1),
        price: z.object({
          currency: z.string(),
          unit_amount: z.number().nullable(),
          recurring: z
            .object({ interval: z.enum(["day", "week", "month", "year"]), interval_count: z.number().min(1) })
            .nullable(),
        }),
      }),
    ),
  }),
});

// Currencies Stripe counts in whole units (no minor unit).
const zeroDecimal = new Set([
  "bif",
  "clp",
  "djf",
  "gnf",
  "jpy",
  "kmf",
  "krw",
  "mga",
  "pyg",
  "rwf",
  "ugx",
  "vnd",
  "vuv",
  "xaf",
  "xof",
  "xpf",
]);
// How many months one billing interval lasts.
const monthsIn = { day: 12 / 365, week: 12 / 52, month: 1, year: 12 } as const;

export function stripeConnector(apiUrl: string): Connector {
  const base = apiUrl.endsWith("/") ? apiUrl : `${apiUrl}/`;

  async function list<T>(
    path: string,
    params: Record<string, string>,
    schema: z.ZodType<T & { id: string }>,
    apiKey: string,
    options: HttpOptions,
  ): Promise<T[]> {
    const items: T[] = [];
    let after: string | null = null;
    for (let page = 0; page < maxPages; page++) {
      const url = new URL(path, base);
      url.search = new URLSearchParams({
        ...params,
        limit: "100",
        ...(after ? { starting_after: after } : {}),
      }).toString();
      const response = await httpGet(
        { url: url.toString(), headers: { authorization: `Bearer ${apiKey}`, "stripe-version": "2024-06-20" } },
        options,
        provider,
      );
      if (response.status < 200 || response.status >= 300)
        throw statusError(response.status, response.headers, provider);
      const body = listSchema.safeParse(parseJson(response.text, provider));
      if (!body.success)
        throw new SyncError(
          "provider_bad_response",
          `Stripe's ${path.replace("v1/", "")} list is not in the expected shape.`,
        );
      for (const raw of body.data.data) {
        const item = schema.safeParse(raw);
        if (!item.success)
          throw new SyncError(
            "provider_bad_response",
            `An item of Stripe's ${path.replace("v1/", "")} list is not in the expected shape.`,
          );
        items.push(item.data);
        after = item.data.id;
      }
      if (!body.data.has_more || body.data.data.length === 0) return items;
    }
    throw new SyncError(
      "provider_bad_response",
      `Stripe's ${path.replace("v1/", "")} list did not end after ${maxPages} pages.`,
    );
  }

  return {
    id: "stripe",
    overlapSeconds: 86_400,
    async fetch({ credentials, config, since, now, signal, timeoutMs, network }) {
      const apiKey = credentials.apiKey;
      const currency = config.currency ?? "usd";
      if (!apiKey) throw new SyncError("config_invalid", "The integration needs a Stripe API key.");
      const options = { signal, timeoutMs, network };
      const divisor = zeroDecimal.has(currency) ? 1 : 100;
      const firstDay = startOfUtcDay(since);
      const created = { "created[gte]": String(Math.floor(firstDay.getTime() / 1000)) };

      const days = (): Map<number, number> => {
        const map = new Map<number, number>();
        for (let day = firstDay.getTime(); day <= now.getTime(); day += 86_400_000) map.set(day, 0);
        return map;
      };
      const customers = days();
      for (const customer of await list("v1/customers", created, customerSchema, apiKey, options)) {
        const day = startOfUtcDay(new Date(customer.created * 1000)).getTime();
        if (customers.has(day)) customers.set(day, (customers.get(day) ?? 0) + 1);
      }
      const revenue = days();
      for (const charge of await list("v1/charges", created, chargeSchema, apiKey, options)) {
        if (charge.status !== "succeeded" || charge.currency !== currency) continue;
        const day = startOfUtcDay(new Date(charge.created * 1000)).getTime();
        if (revenue.has(day))
          revenue.set(day, (revenue.get(day) ?? 0) + (charge.amount - charge.amount_refunded) / divisor);
      }
      let mrr = 0;
      for (const subscription of await list(
        "v1/subscriptions",
        { status: "active" },
        subscriptionSchema,
        apiKey,
        options,
      )) {
        for (const item of subscription.items.data) {
          const { price } = item;
          if (!price.recurring || price.unit_amount === null || price.currency !== currency) continue;
          mrr +=
            (price.unit_amount * (item.quantity ?? 1)) /
            divisor /
            (monthsIn[price.recurring.interval] * price.recurring.interval_count);
        }
      }
      const points: DataPoint[] = [{ metric: "mrr", timestamp: snapshotTime(now), value: Math.round(mrr * 100) / 100 }];
      for (const [day, count] of customers)
        points.push({ metric: "new_customers", timestamp: new Date(day), value: count });
      for (const [day, amount] of revenue)
        points.push({ metric: "revenue_per_day", timestamp: new Date(day), value: Math.round(amount * 100) / 100 });
      return points;
    },
  };
}
