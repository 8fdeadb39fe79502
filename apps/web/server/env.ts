import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type AuthConfig, type OAuthProviderConfig, parseAuthEnv, type ProviderName } from "@northstar/api";
import { type Environment, flag, httpUrl, logLevel, nodeEnv, parseSettings, port } from "@northstar/core/settings";
import { databaseOptionsFromEnv, type DatabaseOptions, type Keyring, parseKeyring } from "@northstar/db";
import { z } from "zod";

// The host's settings, validated once at startup. Nothing else in the host reads process.env:
// main.ts calls readEnv() and hands the pieces to createApp().

// Production must set these; elsewhere each has a fallback: a localhost URL, the embedded database,
// a per-process secret, no credentials sealing.
const requiredInProduction = [
  "PUBLIC_URL",
  "APP_DATABASE_URL",
  "NORTHSTAR_AUTH_SECRET",
  "NORTHSTAR_CREDENTIALS_KEYS",
] as const;

const hostEnvSchema = z
  .object({
    NODE_ENV: nodeEnv,
    PORT: port.default(3000),
    /** Default: every interface in production (a container), loopback only elsewhere. */
    HOST: z.string().min(1).optional(),
    /** The origin users reach the app at (OAuth callbacks, cookies' Secure flag). */
    PUBLIC_URL: httpUrl.optional(),
    LOG_LEVEL: logLevel,
    /** Behind a reverse proxy: take the client's address from X-Forwarded-For (rate limits, logs). */
    NORTHSTAR_TRUST_PROXY: flag,
    NORTHSTAR_AUTH_SECRET: z.string().optional(),
    // Keys that seal integration credentials: `id:base64key,...`, the first one current.
    NORTHSTAR_CREDENTIALS_KEYS: z.string().optional(),
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
  trustProxy: boolean;
  /** The host's login; null: no APP_DATABASE_URL, main.ts opens the development database and its login. */
  database: DatabaseOptions | null;
  auth: AuthConfig;
  /** Seals integration credentials; null: connecting an integration is refused with a clear message. */
  credentialsKeyring: Keyring | null;
  /** The built Vite client (served in production when it exists). */
  clientDir: string;
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

export function parseEnv(source: Environment): HostEnv {
  const settings = parseSettings(hostEnvSchema, source, "server");
  const production = settings.NODE_ENV === "production";
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
    database: settings.APP_DATABASE_URL ? databaseOptionsFromEnv(source, "host") : null,
    auth,
    credentialsKeyring: settings.NORTHSTAR_CREDENTIALS_KEYS ? parseKeyring(settings.NORTHSTAR_CREDENTIALS_KEYS) : null,
    clientDir: path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist"),
  };
}

/** The process's settings; the one place that reads process.env. */
export function readEnv(): HostEnv {
  return parseEnv(process.env);
}
