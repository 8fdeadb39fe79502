import { type Environment, parseSettings } from "@northstar/core/settings";
import { z } from "zod";
import type { DatabaseOptions } from "./client.ts";
import type { ProcessLogin } from "./logins.ts";

// The database settings, validated once; everything else takes them as arguments. The development
// tools' DATABASE_URL and the environment the Prisma CLI runs in are read from the process here.
// The owner's DATABASE_URL is for migrations and the development tools only: the host and the
// worker each connect with their own login (APP_DATABASE_URL, WORKER_DATABASE_URL), never the owner.

const postgresUrl = (name: string) =>
  z.url({ protocol: /^postgres(ql)?$/, error: `${name} must be a postgres:// or postgresql:// URL` });

const databaseEnvSchema = z.object({
  DATABASE_URL: postgresUrl("DATABASE_URL").optional(),
  // The web host's login (northstar_app, northstar_queue) and the worker's (northstar_worker,
  // northstar_queue); see src/logins.ts.
  APP_DATABASE_URL: postgresUrl("APP_DATABASE_URL").optional(),
  WORKER_DATABASE_URL: postgresUrl("WORKER_DATABASE_URL").optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  // The hot reads' own pipelined connections, shared by all of them (client.ts, defaultReadPoolSize when unset).
  DATABASE_READ_POOL_SIZE: z.coerce.number().int().min(1).max(200).optional(),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  DATABASE_CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(5_000),
});

export type DatabaseEnv = z.infer<typeof databaseEnvSchema>;

export function parseDatabaseEnv(env: Environment): DatabaseEnv {
  return parseSettings(databaseEnvSchema, env, "database");
}

/** The variable holding each process's login URL. */
export const loginUrlVariables = {
  host: "APP_DATABASE_URL",
  worker: "WORKER_DATABASE_URL",
} as const satisfies Record<ProcessLogin, keyof DatabaseEnv>;

/**
 * The client's options from the environment for one process: its own login's URL is required
 * (there is no fallback to the owner's DATABASE_URL, which would hand the process every role).
 */
export function databaseOptionsFromEnv(env: Environment, login: ProcessLogin): DatabaseOptions {
  const variable = loginUrlVariables[login];
  const parsed = parseDatabaseEnv(env);
  const url = parsed[variable];
  if (!url) throw new Error(`Invalid database settings:\n  ${variable}: required: the ${login}'s own login`);
  return {
    url,
    poolSize: parsed.DATABASE_POOL_SIZE,
    ...(parsed.DATABASE_READ_POOL_SIZE === undefined ? {} : { readPoolSize: parsed.DATABASE_READ_POOL_SIZE }),
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
