import { expect, test } from "vitest";
import { configuredDatabaseUrl, databaseOptionsFromEnv } from "../src/env.ts";

test("the client's options come from a validated environment", () => {
  expect(
    databaseOptionsFromEnv({ DATABASE_URL: "postgresql://owner@db:5432/northstar", DATABASE_POOL_SIZE: "4" }),
  ).toEqual({
    url: "postgresql://owner@db:5432/northstar",
    poolSize: 4,
    statementTimeoutMs: 15_000,
    connectionTimeoutMs: 5_000,
  });
  expect(
    databaseOptionsFromEnv({
      DATABASE_URL: "postgresql://owner@db/northstar",
      APP_DATABASE_URL: "postgres://app@db/northstar",
    }).url,
  ).toBe("postgres://app@db/northstar");
});

test("a bad environment says what to fix", () => {
  expect(() => databaseOptionsFromEnv({})).toThrow(/DATABASE_URL/);
  expect(() => databaseOptionsFromEnv({ DATABASE_URL: "mysql://x@y/z" })).toThrow(/DATABASE_URL must be a postgres/);
  expect(() => databaseOptionsFromEnv({ DATABASE_URL: "postgresql://x@y/z", DATABASE_POOL_SIZE: "0" })).toThrow(
    /DATABASE_POOL_SIZE/,
  );
});

test("the development tools' server: DATABASE_URL when set, checked; else none (embedded)", () => {
  expect(configuredDatabaseUrl({})).toBeUndefined();
  expect(configuredDatabaseUrl({ DATABASE_URL: "" })).toBeUndefined();
  expect(configuredDatabaseUrl({ DATABASE_URL: "postgresql://owner@db/northstar" })).toBe(
    "postgresql://owner@db/northstar",
  );
  expect(() => configuredDatabaseUrl({ DATABASE_URL: "mysql://x@y/z" })).toThrow(
    "Invalid database settings:\n  DATABASE_URL: DATABASE_URL must be a postgres",
  );
});
