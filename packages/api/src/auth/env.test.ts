import { describe, expect, test } from "vitest";
import { githubEndpoints } from "./config.ts";
import { parseAuthEnv } from "./env.ts";

const base = { NORTHSTAR_BASE_URL: "https://northstar.example.com", NORTHSTAR_AUTH_SECRET: "s".repeat(32) };

describe("sign-in settings from the environment", () => {
  test("providers with both id and secret; development sign-in off by default", () => {
    const config = parseAuthEnv({ ...base, GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "secret" });
    expect(config.providers.github).toMatchObject({ clientId: "id", tokenEndpoint: githubEndpoints.tokenEndpoint });
    expect(config.providers.google).toBeUndefined();
    expect(config.developmentSignIn).toBe(false);
    expect(parseAuthEnv({ ...base, NORTHSTAR_DEV_SIGN_IN: "1" }).developmentSignIn).toBe(true);
  });

  test("refuses half a provider, a short secret, and development sign-in in production", () => {
    expect(() => parseAuthEnv({ ...base, GOOGLE_CLIENT_ID: "id" })).toThrow("GOOGLE_CLIENT_SECRET: Set both");
    expect(() => parseAuthEnv({ ...base, NORTHSTAR_AUTH_SECRET: "short" })).toThrow("at least 32 characters");
    expect(() => parseAuthEnv({ ...base, NODE_ENV: "production", NORTHSTAR_DEV_SIGN_IN: "true" })).toThrow(
      "cannot be turned on in production",
    );
  });
});
