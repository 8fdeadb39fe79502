import { type Environment, parseSettings } from "@northstar/core/settings";
import { z } from "zod";
import type { DatabaseOptions } from "./client.ts";

// The database settings, validated once; everything else takes them as arguments. The development
// tools' DATABASE_URL and the environment the Prisma CLI runs in are read from the process here.

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

/**
 * The server the development tools (dev, db:* scripts, tests' global setup, benchmarks) use: the
 * owner's DATABASE_URL when set; undefined (unset or empty) when they are to start an embedded one.
 */
export function configuredDatabaseUrl(env: Environment = process.env): string | undefined {
  if (!env.DATABASE_URL) return undefined;
  return parseSettings(databaseEnvSchema.pick({ DATABASE_URL: true }), env, "database").DATABASE_URL;
}

/** The environment to run the Prisma CLI in: this process's, pointed at the database at `url`. */
export function prismaEnvironment(url: string): NodeJS.ProcessEnv {
  return { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1" };
}
