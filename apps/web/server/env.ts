import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AuthConfig,
  type Billing,
  type OAuthProviderConfig,
  parseAuthEnv,
  parseBillingEnv,
  type ProviderName,
} from "@northstar/api";
import { type Environment, httpUrl, logLevel, nodeEnv, parseSettings, port } from "@northstar/core/settings";
import {
  databaseOptionsFromEnv,
  type DatabaseOptions,
  publicKeyring,
  type PublicKeyring,
  publicKeysSchema,
} from "@northstar/db";
import { z } from "zod";
import type { CallLimitSettings } from "./call-limits.ts";
import type { OverloadLimit } from "./overload.ts";

// The host's settings, validated once at startup. Nothing else in the host reads process.env:
// main.ts calls readEnv() and hands the pieces to createApp().

// Production must set these; elsewhere each has a fallback: a loopback URL, the embedded database,
// a per-process secret, no credentials sealing.
const requiredInProduction = [
  "PUBLIC_URL",
  "APP_DATABASE_URL",
  "NORTHSTAR_AUTH_SECRET",
  "NORTHSTAR_CREDENTIALS_PUBLIC_KEY",
] as const;

// "a/b": two positive numbers (a burst and a refill rate per second, or running and waiting).
const pair = (name: string, whole: boolean) =>
  z
    .string()
    .regex(whole ? /^\d+\/\d+$/ : /^\d+(\.\d+)?\/\d+(\.\d+)?$/, {
      error: `${name} must be two ${whole ? "whole " : ""}numbers as a/b`,
    })
    .transform((text) => text.split("/").map(Number) as [number, number])
    .refine(([first, second]) => first >= 1 && (whole ? second >= 0 : second > 0), {
      error: `${name}: the first number must be at least 1${whole ? "" : ", the second above 0"}`,
    })
    .optional();

const hostEnvSchema = z
  .object({
    NODE_ENV: nodeEnv,
    PORT: port.default(3000),
    /** Default: every interface in production (a container), loopback only elsewhere. */
    HOST: z.string().min(1).optional(),
    /** The origin users reach the app at (OAuth callbacks, cookies' Secure flag). */
    PUBLIC_URL: httpUrl.optional(),
    LOG_LEVEL: logLevel,
    /** Reverse proxies in front of the host: the client's address is X-Forwarded-For's entry this far from the right. */
    NORTHSTAR_TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(16).default(0),
    /** Memory for the charts this host keeps under their KPI's data version, in MiB (0: none kept). */
    NORTHSTAR_CHART_CACHE_MB: z.coerce
      .number({ error: "must be a number of MiB (0 turns the chart cache off)" })
      .int("must be a whole number of MiB")
      .min(0, "must be 0 (off) or more")
      .max(65_536, "must be at most 65536 MiB")
      .default(64),
    // The old switch trusted X-Forwarded-For's leftmost entry, which the client writes: refused, not ignored.
    NORTHSTAR_TRUST_PROXY: z
      .string()
      .optional()
      .refine((value) => value === undefined || value === "", {
        error:
          "no longer read: set NORTHSTAR_TRUSTED_PROXY_HOPS to the number of reverse proxies in front of the host (1 for one proxy; 0, the default, trusts none) and unset NORTHSTAR_TRUST_PROXY",
      }),
    NORTHSTAR_AUTH_SECRET: z.string().optional(),
    // Per-user limits (call-limits.ts), "burst/perSecond" and "running/waiting"; the defaults suit
    // people, a load test raises them. The host-wide bound (overload.ts), "running/waiting".
    NORTHSTAR_RATE_QUERIES: pair("NORTHSTAR_RATE_QUERIES", false),
    NORTHSTAR_RATE_MUTATIONS: pair("NORTHSTAR_RATE_MUTATIONS", false),
    NORTHSTAR_USER_IN_FLIGHT: pair("NORTHSTAR_USER_IN_FLIGHT", true),
    NORTHSTAR_HOST_IN_FLIGHT: pair("NORTHSTAR_HOST_IN_FLIGHT", true),
    // The worker's public key that integration credentials are sealed to (`id:base64`, from
    // credentials:keygen). The host holds no key that opens them: the old symmetric keyring is refused.
    NORTHSTAR_CREDENTIALS_PUBLIC_KEY: publicKeysSchema
      .refine((keys) => keys.length === 1, { error: "one key: the host seals to the worker's current key only" })
      .optional(),
    NORTHSTAR_CREDENTIALS_KEYS: z
      .undefined({
        error:
          "the host no longer holds the keys that open integration credentials: remove it here, give the host " +
          "NORTHSTAR_CREDENTIALS_PUBLIC_KEY and the worker NORTHSTAR_CREDENTIALS_PRIVATE_KEYS (credentials:keygen), " +
          "and keep the old keys on the worker (NORTHSTAR_CREDENTIALS_KEYS) until its re-seal job has run",
      })
      .optional(),
    // The host's own login (northstar_app, northstar_queue); the owner's DATABASE_URL is only for
    // `pnpm dev`'s development database, which then creates this login itself.
    APP_DATABASE_URL: z.string().optional(),
    // Endpoint overrides, e.g. to sign in against a local OIDC server; the defaults are the providers'.
    GITHUB_AUTHORIZATION_URL: httpUrl.optional(),
    GITHUB_TOKEN_URL: httpUrl.optional(),
    GITHUB_USERINFO_URL: httpUrl.optional(),
    GITHUB_EMAILS_URL: httpUrl.optional(),
    GOOGLE_AUTHORIZATION_URL: httpUrl.optional(),
    GOOGLE_TOKEN_URL: httpUrl.optional(),
    GOOGLE_USERINFO_URL: httpUrl.optional(),
  })
  .superRefine((settings, context) => {
    if (settings.NODE_ENV !== "production") return;
    for (const name of requiredInProduction) {
      if (!settings[name]) context.addIssue({ code: "custom", path: [name], message: "required in production" });
    }
  });

export interface HostEnv {
  production: boolean;
  port: number;
  host: string;
  publicUrl: string;
  logLevel: z.infer<typeof hostEnvSchema>["LOG_LEVEL"];
  /** Reverse proxies in front of the host (0: the socket's address is the client's). */
  trustedProxyHops: number;
  /** Per-user call limits that differ from the defaults. */
  rateLimits: Partial<CallLimitSettings>;
  /** The host-wide bound on tRPC requests, where it differs from the default. */
  overload: Partial<OverloadLimit>;
  /** Bytes of charts the host keeps (0: none). */
  chartCacheBytes: number;
  /** The host's login; null: no APP_DATABASE_URL, main.ts opens the development database and its login. */
  database: DatabaseOptions | null;
  auth: AuthConfig;
  /** Seals integration credentials (public key only); null: connecting an integration is refused with a clear message. */
  credentialsKeyring: PublicKeyring | null;
  /** The built Vite client (served in production when it exists). */
  clientDir: string;
  /** Stripe (STRIPE_* settings), or billing off: every workspace on NORTHSTAR_PLAN (default UNLIMITED). */
  billing: Billing;
}

function endpointOverrides(settings: z.infer<typeof hostEnvSchema>, name: ProviderName): Partial<OAuthProviderConfig> {
  const overrides =
    name === "github"
      ? {
          authorizationEndpoint: settings.GITHUB_AUTHORIZATION_URL,
          tokenEndpoint: settings.GITHUB_TOKEN_URL,
          userinfoEndpoint: settings.GITHUB_USERINFO_URL,
          emailsEndpoint: settings.GITHUB_EMAILS_URL,
        }
      : {
          authorizationEndpoint: settings.GOOGLE_AUTHORIZATION_URL,
          tokenEndpoint: settings.GOOGLE_TOKEN_URL,
          userinfoEndpoint: settings.GOOGLE_USERINFO_URL,
        };
  return Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
}

const rate = ([burst, perSecond]: [number, number]) => ({ burst, perSecond });
const inFlight = ([running, waiting]: [number, number]) => ({ running, waiting });

export function parseEnv(source: Environment): HostEnv {
  const settings = parseSettings(hostEnvSchema, source, "server");
  const production = settings.NODE_ENV === "production";
  // The address the host listens on outside production, and the one the README tells people to
  // open: writes and sign-in are taken only from this origin (same-origin.ts).
  const publicUrl = settings.PUBLIC_URL ?? `http://127.0.0.1:${settings.PORT}`;
  // Outside production a per-process secret is enough: it only signs the ten-minute sign-in state.
  const secret = settings.NORTHSTAR_AUTH_SECRET ?? randomBytes(32).toString("base64url");
  // The sign-in settings are the api package's to validate (ids, secrets, the dev sign-in flag,
  // which it refuses in production).
  const auth = parseAuthEnv({
    ...source,
    NODE_ENV: settings.NODE_ENV,
    NORTHSTAR_BASE_URL: publicUrl,
    NORTHSTAR_AUTH_SECRET: secret,
  });
  for (const name of ["github", "google"] as const) {
    const provider = auth.providers[name];
    if (provider) auth.providers[name] = { ...provider, ...endpointOverrides(settings, name) };
  }
  return {
    production,
    port: settings.PORT,
    host: settings.HOST ?? (production ? "0.0.0.0" : "127.0.0.1"),
    publicUrl,
    logLevel: settings.LOG_LEVEL,
    trustedProxyHops: settings.NORTHSTAR_TRUSTED_PROXY_HOPS,
    rateLimits: {
      ...(settings.NORTHSTAR_RATE_QUERIES && { queries: rate(settings.NORTHSTAR_RATE_QUERIES) }),
      ...(settings.NORTHSTAR_RATE_MUTATIONS && { mutations: rate(settings.NORTHSTAR_RATE_MUTATIONS) }),
      ...(settings.NORTHSTAR_USER_IN_FLIGHT && { inFlight: inFlight(settings.NORTHSTAR_USER_IN_FLIGHT) }),
    },
    overload: settings.NORTHSTAR_HOST_IN_FLIGHT ? inFlight(settings.NORTHSTAR_HOST_IN_FLIGHT) : {},
    chartCacheBytes: settings.NORTHSTAR_CHART_CACHE_MB * 1024 * 1024,
    database: settings.APP_DATABASE_URL ? databaseOptionsFromEnv(source, "host") : null,
    auth,
    credentialsKeyring: settings.NORTHSTAR_CREDENTIALS_PUBLIC_KEY
      ? publicKeyring(settings.NORTHSTAR_CREDENTIALS_PUBLIC_KEY)
      : null,
    clientDir: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist"),
    billing: parseBillingEnv(source, publicUrl),
  };
}

/** The process's settings; the one place that reads process.env. */
export function readEnv(): HostEnv {
  return parseEnv(process.env);
}
