// Every process reads its settings the same way: a zod schema over the environment its caller hands
// in (nothing here reads process.env), and one error naming each bad variable and what to fix.
import { z } from "zod";

/** Environment variables as a process holds them; process.env is one. */
export type Environment = Readonly<Record<string, string | undefined>>;

// zod speaks of types; a person setting a variable wants to hear that it is unset or not a number.
// A message the schema gives itself wins over these.
const environmentMessages: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== "invalid_type") return undefined;
  if (issue.input === undefined) return "required, but not set";
  if (issue.expected === "number") return "must be a number";
  return undefined;
};

/**
 * `env` checked against `schema`. Throws when anything is wrong, one line per problem:
 * "Invalid worker settings:\n  WORKER_CONCURRENCY: Too big: expected number to be <=256".
 */
export function parseSettings<Schema extends z.ZodType>(
  schema: Schema,
  env: Environment,
  what: string,
): z.output<Schema> {
  const parsed = schema.safeParse(env, { error: environmentMessages });
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message,
  );
  throw new Error(`Invalid ${what} settings:\n  ${problems.join("\n  ")}`);
}

// Shapes that several processes' settings share.

/** An on/off switch: 1 or true, 0 or false; unset or empty is off. */
export const flag = z
  .enum(["1", "0", "true", "false", ""], { error: "Use 1/true or 0/false" })
  .default("")
  .transform((value) => value === "1" || value === "true");

export const port = z.coerce.number().int().min(0).max(65_535);

export const httpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

export const nodeEnv = z.enum(["development", "test", "production"]).default("development");

/** pino's levels. */
export const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info");
