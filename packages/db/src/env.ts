import { z } from "zod";
import type { DatabaseOptions } from "./client.ts";

// The database settings, validated once. Everything else takes them as arguments.
const databaseEnvSchema = z.object({
  DATABASE_URL: z.url({
    protocol: /^postgres(ql)?$/,
    error: "DATABASE_URL must be a postgres:// or postgresql:// URL",
  }),
  // The login the application connects with, when it differs from the migration owner's.
  APP_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  DATABASE_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
});

export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

export function parseDatabaseEnv(env: Record<string, string | undefined>): DatabaseEnv {
  const parsed = databaseEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid database settings:\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
}

/** The client's options from the environment: the application's login when one is given. */
export function databaseOptionsFromEnv(env: Record<string, string | undefined>): DatabaseOptions {
  const parsed = parseDatabaseEnv(env);
  return {
    url: parsed.APP_DATABASE_URL ?? parsed.DATABASE_URL,
    poolSize: parsed.DATABASE_POOL_SIZE,
    statementTimeoutMs: parsed.DATABASE_STATEMENT_TIMEOUT_MS,
    connectionTimeoutMs: parsed.DATABASE_CONNECTION_TIMEOUT_MS,
  };
}
