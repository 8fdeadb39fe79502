import { z } from "zod";

// The providers a workspace can connect, as data: what each needs (credentials, sealed; config,
// plain), what it measures, and the fields a web form renders. No network here: the worker's
// connectors (apps/worker/src/providers/) fetch, one per id; the API re-exports this catalogue.

export const providerIds = ["http-json", "csv", "github", "stripe"] as const;
export type ProviderId = (typeof providerIds)[number];

/** A form field for a credential or a config setting. */
export interface CredentialField {
  name: string;
  label: string;
  type: "text" | "password" | "url";
  required: boolean;
  placeholder?: string;
}

export interface ProviderMetric {
  key: string;
  name: string;
  unit: string;
}

export interface ProviderDefinition {
  id: ProviderId;
  name: string;
  description: string;
  credentials: z.ZodType<Record<string, string | undefined>>;
  config: z.ZodType<Record<string, string | undefined>>;
  /** What a form shows for the credentials (matches `credentials`). */
  credentialFields: readonly CredentialField[];
  /** What a form shows for the plain settings (matches `config`). */
  configFields: readonly CredentialField[];
  /** The credential a redacted hint is made from, if any. */
  hintField: string | null;
  metrics: readonly ProviderMetric[];
}

const httpUrl = (label: string) =>
  z
    .url({ protocol: /^https?$/, error: `${label} must be an http(s) URL` })
    .max(2000, `${label} must be at most 2000 characters`);

const secret = (label: string) =>
  z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, `${label} is required`)
    .max(500, `${label} must be at most 500 characters`);

const httpJson: ProviderDefinition = {
  id: "http-json",
  name: "HTTP JSON",
  description: "Any URL answering JSON: a number, or an array of {timestamp, value}, found by a JSON path.",
  credentials: z
    .object({
      headerName: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9-]{1,100}$/, "Header name must be letters, digits or dashes")
        .optional(),
      headerValue: secret("Header value").optional(),
    })
    .refine((value) => (value.headerName === undefined) === (value.headerValue === undefined), {
      error: "Give both a header name and a header value, or neither",
      path: ["headerValue"],
    }),
  config: z.object({
    url: httpUrl("URL"),
    valuePath: z
      .string({ error: "JSON path is required" })
      .trim()
      .regex(/^\$(\.[A-Za-z0-9_-]+|\[\d+\])*$/, "JSON path must look like $.data.value or $.items[0]"),
  }),
  configFields: [
    { name: "url", label: "URL", type: "url", required: true, placeholder: "https://example.com/metrics.json" },
    { name: "valuePath", label: "JSON path to the value", type: "text", required: true, placeholder: "$.data.value" },
  ],
  credentialFields: [
    { name: "headerName", label: "Auth header name (e.g. Authorization)", type: "text", required: false },
    { name: "headerValue", label: "Auth header value", type: "password", required: false },
  ],
  hintField: "headerValue",
  metrics: [{ key: "value", name: "Value at the JSON path", unit: "number" }],
};

const csv: ProviderDefinition = {
  id: "csv",
  name: "CSV",
  description: "A CSV file at a URL with a timestamp column and a value column.",
  // The URL is a credential: published sheet URLs carry their own access token.
  credentials: z.object({ url: httpUrl("CSV URL") }),
  config: z.object({
    timestampColumn: z
      .string()
      .trim()
      .min(1, "Timestamp column is required")
      .max(100, "Timestamp column must be at most 100 characters")
      .default("timestamp"),
    valueColumn: z
      .string()
      .trim()
      .min(1, "Value column is required")
      .max(100, "Value column must be at most 100 characters")
      .default("value"),
  }),
  configFields: [
    { name: "timestampColumn", label: "Timestamp column", type: "text", required: false, placeholder: "timestamp" },
    { name: "valueColumn", label: "Value column", type: "text", required: false, placeholder: "value" },
  ],
  credentialFields: [{ name: "url", label: "CSV URL", type: "url", required: true }],
  hintField: "url",
  metrics: [{ key: "value", name: "Value column", unit: "number" }],
};

const github: ProviderDefinition = {
  id: "github",
  name: "GitHub",
  description: "Repository stars, open issues and merged pull requests per day.",
  credentials: z.object({ token: secret("Access token") }),
  config: z.object({
    owner: z
      .string({ error: "Owner is required" })
      .trim()
      .regex(/^[A-Za-z0-9-]{1,39}$/, "Owner must be a GitHub user or organisation name"),
    repo: z
      .string({ error: "Repository is required" })
      .trim()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, "Repository must be a GitHub repository name"),
  }),
  configFields: [
    { name: "owner", label: "Owner (user or organisation)", type: "text", required: true },
    { name: "repo", label: "Repository", type: "text", required: true },
  ],
  credentialFields: [{ name: "token", label: "Personal access token", type: "password", required: true }],
  hintField: "token",
  metrics: [
    { key: "stars", name: "Stars", unit: "count" },
    { key: "open_issues", name: "Open issues", unit: "count" },
    { key: "merged_prs_per_day", name: "Merged pull requests per day", unit: "count/day" },
  ],
};

const stripe: ProviderDefinition = {
  id: "stripe",
  name: "Stripe",
  description: "Monthly recurring revenue, new customers and revenue per day.",
  credentials: z.object({
    apiKey: secret("API key").regex(
      /^(sk|rk)_(live|test)_[A-Za-z0-9]+$/,
      "API key must be a Stripe secret or restricted key (sk_… or rk_…)",
    ),
  }),
  config: z.object({
    currency: z
      .string()
      .trim()
      .regex(/^[a-z]{3}$/, "Currency must be a 3-letter ISO code in lower case, e.g. usd")
      .default("usd"),
  }),
  configFields: [{ name: "currency", label: "Currency (ISO code)", type: "text", required: false, placeholder: "usd" }],
  credentialFields: [{ name: "apiKey", label: "Secret or restricted API key", type: "password", required: true }],
  hintField: "apiKey",
  metrics: [
    { key: "mrr", name: "Monthly recurring revenue", unit: "currency" },
    { key: "new_customers", name: "New customers", unit: "count" },
    { key: "revenue_per_day", name: "Revenue per day", unit: "currency/day" },
  ],
};

export const providers: Readonly<Record<ProviderId, ProviderDefinition>> = {
  "http-json": httpJson,
  csv,
  github,
  stripe,
};

export const providerIdSchema = z.enum(providerIds, { error: `Provider must be one of: ${providerIds.join(", ")}` });

/** The catalogue as plain JSON, for clients (zod schemas stay on the server). */
export function providerCatalogue() {
  return providerIds.map((id) => {
    const provider = providers[id];
    return {
      id,
      name: provider.name,
      description: provider.description,
      credentialFields: provider.credentialFields,
      configFields: provider.configFields,
      metrics: provider.metrics,
    };
  });
}

/**
 * What a list shows instead of the credentials: the last 4 characters of a secret (`••••1234`),
 * or a URL's host; null when there is nothing to hint at.
 */
export function credentialsHint(
  provider: ProviderDefinition,
  credentials: Record<string, string | undefined>,
): string | null {
  if (provider.hintField === null) return null;
  const value = credentials[provider.hintField];
  if (value === undefined || value === "") return null;
  const field = provider.credentialFields.find((candidate) => candidate.name === provider.hintField);
  if (field?.type === "url") {
    const url = URL.parse(value);
    return url ? `${url.host}/••••` : "••••";
  }
  return value.length > 8 ? `••••${value.slice(-4)}` : "••••";
}
