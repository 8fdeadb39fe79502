import { type Environment, flag, parseSettings } from "@northstar/core/settings";
import { z } from "zod";
import { type AuthConfig, oauthProvider } from "./config.ts";

// The sign-in settings from the host's environment, validated once at the edge (the host passes
// its env in; nothing here reads process.env). A provider is on when both its id and secret are set.

const authEnvSchema = z
  .object({
    NODE_ENV: z.string().default("development"),
    NORTHSTAR_BASE_URL: z.url({ protocol: /^https?$/, error: "NORTHSTAR_BASE_URL must be the app's http(s) origin" }),
    NORTHSTAR_AUTH_SECRET: z.string().min(32, "NORTHSTAR_AUTH_SECRET must be at least 32 characters"),
    GITHUB_CLIENT_ID: z.string().min(1).optional(),
    GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
    GOOGLE_CLIENT_ID: z.string().min(1).optional(),
    GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
    NORTHSTAR_DEV_SIGN_IN: flag,
  })
  .refine((env) => (env.GITHUB_CLIENT_ID === undefined) === (env.GITHUB_CLIENT_SECRET === undefined), {
    error: "Set both GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, or neither",
    path: ["GITHUB_CLIENT_SECRET"],
  })
  .refine((env) => (env.GOOGLE_CLIENT_ID === undefined) === (env.GOOGLE_CLIENT_SECRET === undefined), {
    error: "Set both GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET, or neither",
    path: ["GOOGLE_CLIENT_SECRET"],
  })
  .refine((env) => !(env.NORTHSTAR_DEV_SIGN_IN && env.NODE_ENV === "production"), {
    error: "NORTHSTAR_DEV_SIGN_IN cannot be turned on in production",
    path: ["NORTHSTAR_DEV_SIGN_IN"],
  });

export function parseAuthEnv(env: Environment): AuthConfig {
  const settings = parseSettings(authEnvSchema, env, "sign-in");
  const providers: AuthConfig["providers"] = {};
  if (settings.GITHUB_CLIENT_ID && settings.GITHUB_CLIENT_SECRET) {
    providers.github = oauthProvider("github", {
      clientId: settings.GITHUB_CLIENT_ID,
      clientSecret: settings.GITHUB_CLIENT_SECRET,
    });
  }
  if (settings.GOOGLE_CLIENT_ID && settings.GOOGLE_CLIENT_SECRET) {
    providers.google = oauthProvider("google", {
      clientId: settings.GOOGLE_CLIENT_ID,
      clientSecret: settings.GOOGLE_CLIENT_SECRET,
    });
  }
  return {
    baseUrl: settings.NORTHSTAR_BASE_URL,
    secret: settings.NORTHSTAR_AUTH_SECRET,
    providers,
    developmentSignIn: settings.NORTHSTAR_DEV_SIGN_IN,
  };
}
