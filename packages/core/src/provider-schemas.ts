import { z } from "zod";
import { dateFormats } from "./csv/dates.ts";
import { checkTimeZone } from "./csv/time-zone.ts";
import { type ProviderEntry, providerEntries, type ProviderId, providerIds } from "./providers.ts";

// Each provider's credential and config schemas joined to its catalogue entry, for the API and the
// worker; apart from providers.ts so that the web client's bundle carries no zod.

export interface ProviderDefinition extends ProviderEntry {
  credentials: z.ZodType<Record<string, string | undefined>>;
  config: z.ZodType<Record<string, string | undefined>>;
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
  ...providerEntries["http-json"],
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
    // Settings are shown to admins and sent as typed: a password belongs in the (sealed) auth header.
    url: httpUrl("URL").refine(
      (value) => {
        const url = URL.parse(value);
        return url === null || (url.username === "" && url.password === "");
      },
      { error: "URL must not contain a user name or password; send them in the auth header instead" },
    ),
    valuePath: z
      .string({ error: "JSON path is required" })
      .trim()
      .regex(/^\$(\.[A-Za-z0-9_-]+|\[\d+\])*$/, "JSON path must look like $.data.value or $.items[0]"),
  }),
};

const csv: ProviderDefinition = {
  ...providerEntries.csv,
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
    // The answers to what the file may leave open: its date format (01/02/2026) and decimal
    // separator; dates without an offset are read in the time zone (default UTC).
    dateFormat: z.enum(dateFormats, { error: `Date format must be one of: ${dateFormats.join(", ")}` }).optional(),
    decimalSeparator: z.enum([".", ","], { error: "Decimal separator must be . or ," }).optional(),
    timeZone: z
      .string()
      .trim()
      .max(100, "Time zone must be at most 100 characters")
      .refine(
        (value) => {
          try {
            checkTimeZone(value);
            return true;
          } catch {
            return false;
          }
        },
        { error: "Time zone must be an IANA name such as Europe/Berlin or UTC" },
      )
      .optional(),
  }),
};

const github: ProviderDefinition = {
  ...providerEntries.github,
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
};

const stripe: ProviderDefinition = {
  ...providerEntries.stripe,
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
};

export const providers: Readonly<Record<ProviderId, ProviderDefinition>> = {
  "http-json": httpJson,
  csv,
  github,
  stripe,
};

export const providerIdSchema = z.enum(providerIds, { error: `Provider must be one of: ${providerIds.join(", ")}` });
