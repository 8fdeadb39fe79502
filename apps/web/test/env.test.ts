import { generateKeyPair } from "@northstar/db";
import { expect, test } from "vitest";
import { parseEnv } from "../server/env.ts";

// The host's settings: validated once, the development sign-in off unless asked for, and never
// in production.

const keys = generateKeyPair("2026-11");
const production = {
  NODE_ENV: "production",
  PUBLIC_URL: "https://northstar.example.com",
  APP_DATABASE_URL: "postgresql://app@db.example.com/northstar",
  NORTHSTAR_AUTH_SECRET: "a-production-secret-of-thirty-two-chars!",
  NORTHSTAR_CREDENTIALS_PUBLIC_KEY: keys.publicKey,
  GITHUB_CLIENT_ID: "id",
  GITHUB_CLIENT_SECRET: "secret",
};

test("development defaults: port 3000 on 127.0.0.1, no database (embedded), no dev sign-in", () => {
  const env = parseEnv({});
  expect(env).toMatchObject({
    production: false,
    port: 3000,
    host: "127.0.0.1",
    publicUrl: "http://127.0.0.1:3000",
    database: null,
  });
  expect(env.auth.developmentSignIn).toBe(false);
  expect(env.auth.providers).toEqual({});
  expect(parseEnv({ NORTHSTAR_DEV_SIGN_IN: "1" }).auth.developmentSignIn).toBe(true);
});

test("production: the application's login, the public URL, providers with endpoint overrides", () => {
  expect(parseEnv(production).host).toBe("0.0.0.0");
  const env = parseEnv({
    ...production,
    PORT: "8080",
    HOST: "10.0.0.5",
    GITHUB_TOKEN_URL: "http://127.0.0.1:9999/token",
  });
  expect(env).toMatchObject({
    production: true,
    port: 8080,
    host: "10.0.0.5",
    publicUrl: "https://northstar.example.com",
  });
  expect(env.database?.url).toBe("postgresql://app@db.example.com/northstar");
  expect(env.auth.baseUrl).toBe("https://northstar.example.com");
  expect(env.auth.providers.github).toMatchObject({
    clientId: "id",
    tokenEndpoint: "http://127.0.0.1:9999/token",
    authorizationEndpoint: "https://github.com/login/oauth/authorize",
  });
});

test("the development sign-in is refused in production, as are missing or malformed settings", () => {
  expect(() => parseEnv({ ...production, NORTHSTAR_DEV_SIGN_IN: "true" })).toThrow(
    /NORTHSTAR_DEV_SIGN_IN cannot be turned on in production/,
  );
  expect(() => parseEnv({ ...production, PUBLIC_URL: undefined })).toThrow(/PUBLIC_URL: required in production/);
  expect(() => parseEnv({ ...production, NORTHSTAR_AUTH_SECRET: undefined })).toThrow(
    /NORTHSTAR_AUTH_SECRET: required in production/,
  );
  // The host's own login; the owner's DATABASE_URL is neither needed nor used.
  expect(() => parseEnv({ ...production, APP_DATABASE_URL: undefined })).toThrow(
    /APP_DATABASE_URL: required in production/,
  );
  expect(() => parseEnv({ ...production, NORTHSTAR_CREDENTIALS_PUBLIC_KEY: undefined })).toThrow(
    /NORTHSTAR_CREDENTIALS_PUBLIC_KEY: required in production/,
  );
  expect(() => parseEnv({ ...production, NORTHSTAR_CREDENTIALS_PUBLIC_KEY: "2026-11:c2hvcnQ=" })).toThrow(
    /NORTHSTAR_CREDENTIALS_PUBLIC_KEY: Key "2026-11" must be an X25519 public key/,
  );
  expect(() => parseEnv({ PORT: "http" })).toThrow(/PORT/);
  expect(() => parseEnv({ APP_DATABASE_URL: "mysql://x" })).toThrow(/APP_DATABASE_URL must be a postgres/);
  expect(() => parseEnv({ NORTHSTAR_DEV_SIGN_IN: "yes" })).toThrow(/NORTHSTAR_DEV_SIGN_IN/);
  expect(() => parseEnv({ GITHUB_CLIENT_ID: "only-the-id" })).toThrow(/GITHUB_CLIENT_SECRET/);
});

test("the host holds the public key only: a private key or the old symmetric keyring is refused, saying what to do", () => {
  const env = parseEnv(production);
  expect(env.credentialsKeyring?.current.id).toBe("2026-11");
  expect(env.credentialsKeyring?.current.publicKey.type).toBe("public");
  expect(() => parseEnv({ ...production, NORTHSTAR_CREDENTIALS_PUBLIC_KEY: keys.privateKey })).toThrow(
    /NORTHSTAR_CREDENTIALS_PUBLIC_KEY: Key "2026-11" is a PRIVATE key/,
  );
  expect(() =>
    parseEnv({
      ...production,
      NORTHSTAR_CREDENTIALS_PUBLIC_KEY: `${keys.publicKey},${generateKeyPair("old").publicKey}`,
    }),
  ).toThrow(/one key/);
  expect(() =>
    parseEnv({ ...production, NORTHSTAR_CREDENTIALS_KEYS: `2026-10:${Buffer.alloc(32, 7).toString("base64")}` }),
  ).toThrow(/NORTHSTAR_CREDENTIALS_KEYS: the host no longer holds the keys that open integration credentials/);
});

test("limits for a load test: per-user rates and in-flight, and the host-wide bound, as a/b", () => {
  expect(parseEnv({})).toMatchObject({ rateLimits: {}, overload: {} });
  const env = parseEnv({
    NORTHSTAR_RATE_QUERIES: "5000/500",
    NORTHSTAR_RATE_MUTATIONS: "1000/0.5",
    NORTHSTAR_USER_IN_FLIGHT: "8/0",
    NORTHSTAR_HOST_IN_FLIGHT: "30/120",
  });
  expect(env.rateLimits).toEqual({
    queries: { burst: 5000, perSecond: 500 },
    mutations: { burst: 1000, perSecond: 0.5 },
    inFlight: { running: 8, waiting: 0 },
  });
  expect(env.overload).toEqual({ running: 30, waiting: 120 });
  expect(() => parseEnv({ NORTHSTAR_RATE_QUERIES: "300" })).toThrow(/NORTHSTAR_RATE_QUERIES must be two numbers/);
  expect(() => parseEnv({ NORTHSTAR_RATE_MUTATIONS: "60/0" })).toThrow(/the second above 0/);
  expect(() => parseEnv({ NORTHSTAR_HOST_IN_FLIGHT: "0/10" })).toThrow(/at least 1/);
  expect(() => parseEnv({ NORTHSTAR_USER_IN_FLIGHT: "4.5/10" })).toThrow(/two whole numbers/);
});

test("the chart cache: 64 MiB unless set, 0 turns it off, anything else is refused with the rule", () => {
  expect(parseEnv({}).chartCacheBytes).toBe(64 * 1024 * 1024);
  expect(parseEnv({ NORTHSTAR_CHART_CACHE_MB: "0" }).chartCacheBytes).toBe(0);
  expect(parseEnv({ NORTHSTAR_CHART_CACHE_MB: "256" }).chartCacheBytes).toBe(256 * 1024 * 1024);
  expect(() => parseEnv({ NORTHSTAR_CHART_CACHE_MB: "lots" })).toThrow(
    /NORTHSTAR_CHART_CACHE_MB.*must be a number of MiB/,
  );
  expect(() => parseEnv({ NORTHSTAR_CHART_CACHE_MB: "1.5" })).toThrow(/whole number of MiB/);
  expect(() => parseEnv({ NORTHSTAR_CHART_CACHE_MB: "-1" })).toThrow(/0 \(off\) or more/);
});
