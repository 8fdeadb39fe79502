import { z } from "zod";

// Sign-in settings, passed in by the host (which reads its env once). Providers are generic OAuth 2
// endpoints, so tests point them at a local mock server; the defaults are GitHub's and Google's.

export type ProfileStyle = "github" | "oidc";

export interface OAuthProviderConfig {
  clientId: string;
  clientSecret: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  /** GitHub style: GET /user (+ /user/emails); OIDC style: the userinfo endpoint. */
  profileStyle: ProfileStyle;
  userinfoEndpoint: string;
  /** GitHub style only: where the verified primary email is found. */
  emailsEndpoint?: string;
  scopes: string[];
}

export const githubEndpoints = {
  authorizationEndpoint: "https://github.com/login/oauth/authorize",
  tokenEndpoint: "https://github.com/login/oauth/access_token",
  profileStyle: "github",
  userinfoEndpoint: "https://api.github.com/user",
  emailsEndpoint: "https://api.github.com/user/emails",
  scopes: ["read:user", "user:email"],
} as const satisfies Omit<OAuthProviderConfig, "clientId" | "clientSecret">;

export const googleEndpoints = {
  authorizationEndpoint: "https://accounts.google.com/o/oauth2/v2/auth",
  tokenEndpoint: "https://oauth2.googleapis.com/token",
  profileStyle: "oidc",
  userinfoEndpoint: "https://openidconnect.googleapis.com/v1/userinfo",
  scopes: ["openid", "email", "profile"],
} as const satisfies Omit<OAuthProviderConfig, "clientId" | "clientSecret">;

export const providerNames = ["github", "google"] as const;
export type ProviderName = (typeof providerNames)[number];
export const providerNameSchema = z.enum(providerNames, { error: "Unknown sign-in provider" });

const defaults: Record<ProviderName, Omit<OAuthProviderConfig, "clientId" | "clientSecret">> = {
  github: { ...githubEndpoints, scopes: [...githubEndpoints.scopes] },
  google: { ...googleEndpoints, scopes: [...googleEndpoints.scopes] },
};

/** A provider's settings: its default endpoints with any of them overridden. */
export function oauthProvider(
  name: ProviderName,
  settings: Pick<OAuthProviderConfig, "clientId" | "clientSecret"> & Partial<OAuthProviderConfig>,
): OAuthProviderConfig {
  return { ...defaults[name], ...settings };
}

export interface AuthConfig {
  /** The host's public origin; callbacks are `${baseUrl}/auth/${provider}/callback`. */
  baseUrl: string;
  /** Signs the short-lived sign-in state cookie; at least 32 characters. */
  secret: string;
  providers: Partial<Record<ProviderName, OAuthProviderConfig>>;
  /** Signing in as any existing user without a provider. Local development only; off by default. */
  developmentSignIn?: boolean;
  /** For the profile requests (tests may pass their own). */
  fetch?: typeof fetch;
}

export function callbackUrl(config: AuthConfig, provider: ProviderName): string {
  return new URL(`/auth/${provider}/callback`, config.baseUrl).toString();
}
