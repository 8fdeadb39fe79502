import { dateFormats } from "./csv/dates.ts";

// The providers a workspace can connect, as plain data (form fields, metrics, credential hints): the
// web client renders its forms from it; provider-schemas.ts adds the zod rules; connectors fetch.

const dateFormatChoices = dateFormats.map((format) => ({ value: format, label: format }));

export const providerIds = ["http-json", "csv", "github", "stripe"] as const;
export type ProviderId = (typeof providerIds)[number];

/** A form field for a credential or a config setting. */
export interface CredentialField {
  name: string;
  label: string;
  type: "text" | "password" | "url";
  required: boolean;
  placeholder?: string;
  /** The values it may take, shown as a choice (the first, "", when the field is optional). */
  choices?: readonly { value: string; label: string }[];
}

export interface ProviderMetric {
  key: string;
  name: string;
  unit: string;
}

/** One provider of the catalogue. */
export interface ProviderEntry {
  id: ProviderId;
  name: string;
  description: string;
  /** What a form shows for the credentials (matches provider-schemas.ts's `credentials`). */
  credentialFields: readonly CredentialField[];
  /** What a form shows for the plain settings (matches provider-schemas.ts's `config`). */
  configFields: readonly CredentialField[];
  /** The credential a redacted hint is made from, if any. */
  hintField: string | null;
  /**
   * The config field holding the URL the credentials are sent to, when an admin can change it: the
   * credentials are sealed for that URL's origin and go nowhere else (null: the target is fixed by
   * the operator, or is itself one of the sealed credentials).
   */
  originField: string | null;
  metrics: readonly ProviderMetric[];
}

export const providerEntries: Readonly<Record<ProviderId, ProviderEntry>> = {
  "http-json": {
    id: "http-json",
    name: "HTTP JSON",
    description: "Any URL answering JSON: a number, or an array of {timestamp, value}, found by a JSON path.",
    configFields: [
      { name: "url", label: "URL", type: "url", required: true, placeholder: "https://example.com/metrics.json" },
      { name: "valuePath", label: "JSON path to the value", type: "text", required: true, placeholder: "$.data.value" },
    ],
    credentialFields: [
      { name: "headerName", label: "Auth header name (e.g. Authorization)", type: "text", required: false },
      { name: "headerValue", label: "Auth header value", type: "password", required: false },
    ],
    hintField: "headerValue",
    originField: "url",
    metrics: [{ key: "value", name: "Value at the JSON path", unit: "number" }],
  },
  csv: {
    id: "csv",
    name: "CSV",
    description: "A CSV file at a URL with a timestamp column and a value column.",
    configFields: [
      { name: "timestampColumn", label: "Timestamp column", type: "text", required: false, placeholder: "timestamp" },
      { name: "valueColumn", label: "Value column", type: "text", required: false, placeholder: "value" },
      {
        name: "dateFormat",
        label: "Date format",
        type: "text",
        required: false,
        choices: [{ value: "", label: "Detect (asks when dates like 01/02/2026 are ambiguous)" }, ...dateFormatChoices],
      },
      {
        name: "decimalSeparator",
        label: "Decimal separator",
        type: "text",
        required: false,
        choices: [
          { value: "", label: "Detect" },
          { value: ".", label: "Point (1,234.5)" },
          { value: ",", label: "Comma (1.234,5)" },
        ],
      },
      {
        name: "timeZone",
        label: "Time zone of dates without an offset",
        type: "text",
        required: false,
        placeholder: "UTC",
      },
    ],
    credentialFields: [{ name: "url", label: "CSV URL", type: "url", required: true }],
    hintField: "url",
    originField: null,
    metrics: [{ key: "value", name: "Value column", unit: "number" }],
  },
  github: {
    id: "github",
    name: "GitHub",
    description: "Repository stars, open issues and merged pull requests per day.",
    configFields: [
      { name: "owner", label: "Owner (user or organisation)", type: "text", required: true },
      { name: "repo", label: "Repository", type: "text", required: true },
    ],
    credentialFields: [{ name: "token", label: "Personal access token", type: "password", required: true }],
    hintField: "token",
    originField: null,
    metrics: [
      { key: "stars", name: "Stars", unit: "count" },
      { key: "open_issues", name: "Open issues", unit: "count" },
      { key: "merged_prs_per_day", name: "Merged pull requests per day", unit: "count/day" },
    ],
  },
  stripe: {
    id: "stripe",
    name: "Stripe",
    description: "Monthly recurring revenue, new customers and revenue per day.",
    configFields: [
      { name: "currency", label: "Currency (ISO code)", type: "text", required: false, placeholder: "usd" },
    ],
    credentialFields: [{ name: "apiKey", label: "Secret or restricted API key", type: "password", required: true }],
    hintField: "apiKey",
    originField: null,
    metrics: [
      { key: "mrr", name: "Monthly recurring revenue", unit: "currency" },
      { key: "new_customers", name: "New customers", unit: "count" },
      { key: "revenue_per_day", name: "Revenue per day", unit: "currency/day" },
    ],
  },
};

/** The catalogue as a list, in the order providerIds gives, for forms and the API's answer. */
export function providerCatalogue() {
  return providerIds.map((id) => {
    const provider = providerEntries[id];
    return {
      id,
      name: provider.name,
      description: provider.description,
      credentialFields: provider.credentialFields,
      configFields: provider.configFields,
      originField: provider.originField,
      metrics: provider.metrics,
    };
  });
}

export type CatalogueProvider = ReturnType<typeof providerCatalogue>[number];

/**
 * What a list shows instead of the credentials: the last 4 characters of a secret (`••••1234`),
 * or a URL's host; null when there is nothing to hint at.
 */
export function credentialsHint(
  provider: ProviderEntry,
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

const defaultPorts: Readonly<Record<string, string>> = { "http:": "80", "https:": "443" };

/**
 * An http(s) URL's origin as credentials are bound to it: scheme://host:port, the port always
 * written (https://a.example and https://a.example:443 are one origin); null for anything else.
 */
export function urlOrigin(value: string): string | null {
  const url = URL.parse(value);
  const defaultPort = url ? defaultPorts[url.protocol] : undefined;
  if (!url || defaultPort === undefined || url.hostname === "") return null;
  return `${url.protocol}//${url.hostname}:${url.port === "" ? defaultPort : url.port}`;
}

/**
 * The origin a provider's credentials are sealed for, from its config: the origin of the URL in
 * its `originField`; null for providers without one. A config without a valid URL there binds to
 * "invalid", which no sealed origin matches.
 */
export function credentialsOrigin(
  provider: Pick<ProviderEntry, "originField">,
  config: Readonly<Record<string, unknown>>,
): string | null {
  if (provider.originField === null) return null;
  const value = config[provider.originField];
  return (typeof value === "string" ? urlOrigin(value) : null) ?? "invalid";
}

/** A URL as members who may not manage integrations see it: origin and path, without user-info or query. */
export function urlWithoutSecrets(value: string): string {
  const url = URL.parse(value);
  if (!url) return "";
  return `${url.origin}${url.pathname}`;
}
