import { type Environment, parseSettings } from "@northstar/core/settings";
import { z } from "zod";
import type { DatabaseOptions } from "./client.ts";

// The database settings, validated once. Everything else takes them as arguments.

const postgresUrl = (name: string) =>
  z.url({ protocol: /^postgres(ql)?$/, error: `${name} must be a postgres:// or postgresql:// URL` });

const databaseEnvSchema = z.object({
  DATABASE_URL: postgresUrl("DATABASE_URL"),
  // The login the application connects with, when it differs from the migration owner's.
  APP_DATABASE_URL: postgresUrl("APP_DATABASE_URL").optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  DATABASE_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
});

export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

export function parseDatabaseEnv(env: Environment): DatabaseEnv {
  return parseSettings(databaseEnvSchema, env, "database");
}

/** The client's options from the environment: the application's login when one is given. */
export function databaseOptionsFromEnv(env: Environment): DatabaseOptions {
  const parsed = parseDatabaseEnv(env);
  return {
    url: parsed.APP_DATABASE_URL ?? parsed.DATABASE_URL,
    poolSize: parsed.DATABASE_POOL_SIZE,
    statementTimeoutMs: parsed.DATABASE_STATEMENT_TIMEOUT_MS,
    connectionTimeoutMs: parsed.DATABASE_CONNECTION_TIMEOUT_MS,
  };
}
