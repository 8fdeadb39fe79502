import { expect, test } from "vitest";
import { configuredDatabaseUrl, databaseOptionsFromEnv } from "../src/env.ts";

test("the client's options come from a validated environment: each process's own login", () => {
  expect(
    databaseOptionsFromEnv(
      {
        DATABASE_URL: "postgresql://owner@db:5432/northstar",
        APP_DATABASE_URL: "postgres://host@db/northstar",
        DATABASE_POOL_SIZE: "4",
      },
      "host",
    ),
  ).toEqual({
    url: "postgres://host@db/northstar",
    poolSize: 4,
    statementTimeoutMs: 15_000,
    connectionTimeoutMs: 5_000,
  });
  const both = {
    APP_DATABASE_URL: "postgres://host@db/northstar",
    WORKER_DATABASE_URL: "postgres://worker@db/northstar",
  };
  expect(databaseOptionsFromEnv(both, "worker").url).toBe("postgres://worker@db/northstar");
  expect(databaseOptionsFromEnv({ ...both, DATABASE_READ_POOL_SIZE: "2" }, "host").readPoolSize).toBe(2);
});

test("a process never falls back to the owner's DATABASE_URL, and a bad environment says what to fix", () => {
  expect(() => databaseOptionsFromEnv({ DATABASE_URL: "postgresql://owner@db/northstar" }, "host")).toThrow(
    /APP_DATABASE_URL: required/,
  );
  expect(() => databaseOptionsFromEnv({ APP_DATABASE_URL: "postgresql://host@db/northstar" }, "worker")).toThrow(
    /WORKER_DATABASE_URL: required/,
  );
  expect(() => databaseOptionsFromEnv({ APP_DATABASE_URL: "mysql://x@y/z" }, "host")).toThrow(
    /APP_DATABASE_URL must be a postgres/,
  );
  expect(() =>
    databaseOptionsFromEnv({ WORKER_DATABASE_URL: "postgresql://x@y/z", DATABASE_POOL_SIZE: "0" }, "worker"),
  ).toThrow(/DATABASE_POOL_SIZE/);
  expect(() =>
    databaseOptionsFromEnv({ APP_DATABASE_URL: "postgresql://x@y/z", DATABASE_READ_POOL_SIZE: "many" }, "host"),
  ).toThrow(/DATABASE_READ_POOL_SIZE/);
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
