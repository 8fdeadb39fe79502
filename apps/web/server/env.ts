import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type AuthConfig, type OAuthProviderConfig, parseAuthEnv, type ProviderName } from "@northstar/api";
import { databaseOptionsFromEnv, type DatabaseOptions, type Keyring, parseKeyring } from "@northstar/db";
import { z } from "zod";

// The host's settings, validated once at startup. Nothing else in the host reads process.env:
// main.ts calls readEnv() and hands the pieces to createApp().

const port = z.coerce.number().int().min(0).max(65_535);
const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });
const flag = z
  .enum(["1", "0", "true", "false", ""], { error: "Use 1/true or 0/false" })
  .default("")
  .transform((value) => value === "1" || value === "true");

const hostEnvSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  PORT: port.default(3000),
  /** Default: every interface in production (a container), loopback only elsewhere. */
  HOST: z.string().min(1).optional(),
  /** The origin users reach the app at (OAuth callbacks, cookies' Secure flag). */
  PUBLIC_URL: httpUrl.optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Behind a reverse proxy: take the client's address from X-Forwarded-For (rate limits, logs). */
  NORTHSTAR_TRUST_PROXY: flag,
  NORTHSTAR_AUTH_SECRET: z.string().optional(),
  // Keys that seal integration credentials: `id:base64key,...`, the first one current.
  NORTHSTAR_CREDENTIALS_KEYS: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  // Endpoint overrides, e.g. to sign in against a local OIDC server; the defaults are the providers'.
  GITHUB_AUTHORIZATION_URL: httpUrl.optional(),
  GITHUB_TOKEN_URL: httpUrl.optional(),
  GITHUB_USERINFO_URL: httpUrl.optional(),
  GITHUB_EMAILS_URL: httpUrl.optional(),
  GOOGLE_AUTHORIZATION_URL: httpUrl.optional(),
  GOOGLE_TOKEN_URL: httpUrl.optional(),
  GOOGLE_USERINFO_URL: httpUrl.optional(),
});

export interface HostEnv {
  production: boolean;
  port: number;
  host: string;
  publicUrl: string;
  logLevel: z.infer<typeof hostEnvSchema>["LOG_LEVEL"];
  trustProxy: boolean;
  /** The application's connection; null: no DATABASE_URL, main.ts opens the embedded dev server. */
  database: DatabaseOptions | null;
  auth: AuthConfig;
  /** Seals integration credentials; null: connecting an integration is refused with a clear message. */
  credentialsKeyring: Keyring | null;
  /** The built Vite client (served in production when it exists). */
  clientDir: string;
}

type Source = Record<string, string | undefined>;

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

export function parseEnv(source: Source): HostEnv {
  const parsed = hostEnvSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid server settings:\n  ${problems.join("\n  ")}`);
  }
  const settings = parsed.data;
  const production = settings.NODE_ENV === "production";
  if (production && !settings.PUBLIC_URL)
    throw new Error("Invalid server settings:\n  PUBLIC_URL: required in production");
  if (production && !settings.DATABASE_URL)
    throw new Error("Invalid server settings:\n  DATABASE_URL: required in production");
  if (production && !settings.NORTHSTAR_AUTH_SECRET)
    throw new Error("Invalid server settings:\n  NORTHSTAR_AUTH_SECRET: required in production");
  if (production && !settings.NORTHSTAR_CREDENTIALS_KEYS)
    throw new Error("Invalid server settings:\n  NORTHSTAR_CREDENTIALS_KEYS: required in production");
  const publicUrl = settings.PUBLIC_URL ?? `http://localhost:${settings.PORT}`;
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
    trustProxy: settings.NORTHSTAR_TRUST_PROXY,
    database: settings.DATABASE_URL ? databaseOptionsFromEnv(source) : null,
    auth,
    credentialsKeyring: settings.NORTHSTAR_CREDENTIALS_KEYS ? parseKeyring(settings.NORTHSTAR_CREDENTIALS_KEYS) : null,
    clientDir: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist"),
  };
}

/** The process's settings; the one place that reads process.env. */
export function readEnv(): HostEnv {
  return parseEnv(process.env);
}
