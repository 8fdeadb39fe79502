import { z } from "zod";
import { goalRules, integrationRules, kpiRules, userRules, workspaceRules } from "./field-rules.ts";
import { goalCriteria, goalStatuses } from "./goal-progress.ts";
import { kpiAggregations, kpiDirections } from "./kpi-progress.ts";
import { workspaceRoles } from "./permissions.ts";

// Input rules shared by the API, the worker and the web client: the CHECK constraints in
// packages/db/prisma/migrations/*_constraints_and_triggers say the same, so a bad value gets a
// clear message here and can never slip past there.

const trimmed = (label: string, max: number) =>
  z.string().trim().min(1, `${label} must not be empty`).max(max, `${label} must be at most ${max} characters`);

// Text that may be left empty (it defaults to "").
const optionalText = (label: string, max: number) =>
  z.string().trim().max(max, `${label} must be at most ${max} characters`).default("");

// zod 4 refuses NaN and infinities in z.number(); the message names the field.
const finite = (label: string) => z.number({ error: `${label} must be a finite number` });

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(userRules.emailMax, `Email must be at most ${userRules.emailMax} characters`)
  .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "Email must look like name@example.com");

export const userNameSchema = trimmed("Name", userRules.nameMax);

export const slugSchema = z
  .string()
  .min(workspaceRules.slugMin, `Slug must be at least ${workspaceRules.slugMin} characters`)
  .max(workspaceRules.slugMax, `Slug must be at most ${workspaceRules.slugMax} characters`)
  .regex(
    new RegExp(`^${workspaceRules.slugPattern}$`),
    "Slug may use lowercase letters, digits and single dashes between them",
  );

export const workspaceInputSchema = z.object({
  name: trimmed("Workspace name", workspaceRules.nameMax),
  slug: slugSchema,
});

export const workspaceRoleSchema = z.enum(workspaceRoles);

export const kpiInputSchema = z.object({
  name: trimmed("KPI name", kpiRules.nameMax),
  description: optionalText("Description", kpiRules.descriptionMax),
  unit: optionalText("Unit", kpiRules.unitMax),
  category: trimmed("Category", kpiRules.categoryMax).default("General"),
  direction: z.enum(kpiDirections).default("HIGHER_IS_BETTER"),
  /** How points add up over a period: counts and amounts SUM, rates AVERAGE, levels (MRR) LAST. */
  aggregation: z
    .enum(kpiAggregations, { error: `Aggregation must be one of ${kpiAggregations.join(", ")}` })
    .default("AVERAGE"),
  targetValue: finite("Target").nullable().default(null),
});

// Prisma's engine reads dates as ISO 8601 with four-digit years: a date outside them failed there (a 500).
const earliestDate = new Date("0001-01-01T00:00:00.000Z");
const latestDate = new Date("9999-12-31T23:59:59.999Z");
const storableDate = (label: string) =>
  z.coerce
    .date({ error: `${label} must be a date` })
    .min(earliestDate, `${label} must be in the years 1 to 9999`)
    .max(latestDate, `${label} must be in the years 1 to 9999`);

export const dataPointInputSchema = z.object({
  value: finite("Value"),
  timestamp: storableDate("Timestamp"),
});

/**
 * A point's timestamp as the API takes it: a Date or epoch milliseconds (instants), or ISO 8601
 * text. Text without an offset is a local time of the workspace's time zone, so it stays text
 * here: @northstar/core/timestamps' pointInstant reads it once the zone is known.
 */
export const pointTimestampSchema = z.union(
  [
    z.date({ error: "Timestamp must be a date" }),
    z.number({ error: "Timestamp must be a date" }),
    z.string().trim().min(1, "Timestamp must not be empty").max(64, "Timestamp must be at most 64 characters"),
  ],
  { error: "Timestamp must be a date, epoch milliseconds or ISO 8601 text such as 2026-03-29T10:00" },
);

/** A workspace's time zone: an IANA name (the API checks it against the zones PostgreSQL knows). */
export const timeZoneSchema = z
  .string({ error: "Time zone must be an IANA name such as Europe/Berlin" })
  .trim()
  .min(1, "Time zone must not be empty")
  .max(workspaceRules.timeZoneMax, `Time zone must be at most ${workspaceRules.timeZoneMax} characters`);

export const goalInputSchema = z.object({
  title: trimmed("Goal title", goalRules.titleMax),
  description: optionalText("Description", goalRules.descriptionMax),
  targetDate: storableDate("Target date").nullable().default(null),
  status: z.enum(goalStatuses).default("NOT_STARTED"),
});

export const goalKpiWeightSchema = z
  .number()
  .gt(0, "Weight must be greater than 0")
  .max(goalRules.weightMax, `Weight must be at most ${goalRules.weightMax}`);

export const goalCriterionSchema = z.enum(goalCriteria);

export const integrationNameSchema = z
  .string({ error: "Name is required" })
  .trim()
  .min(1, "Name is required")
  .max(integrationRules.nameMax, `Name must be at most ${integrationRules.nameMax} characters`);

const { syncIntervalMinSeconds: minInterval, syncIntervalMaxSeconds: maxInterval } = integrationRules;

export const syncIntervalSchema = z
  .number({ error: "Sync interval must be a number of seconds" })
  .int("Sync interval must be whole seconds")
  .min(minInterval, `Sync at most every ${minInterval / 60} minutes (${minInterval} seconds)`)
  .max(maxInterval, `Sync at least every ${maxInterval / 86_400} days (${maxInterval} seconds)`);

/** What an API key may do: `read` reads; `write` reads and writes (KPIs and their points). */
export const apiKeyScopes = ["read", "write"] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

export const apiKeyInputSchema = z.object({
  name: trimmed("Key name", 80),
  scopes: z
    .array(z.enum(apiKeyScopes, { error: `Scopes are ${apiKeyScopes.join(" and ")}` }))
    .min(1, "Give the key at least one scope: read, or read and write")
    .max(apiKeyScopes.length)
    .transform((scopes) => [...new Set(scopes)]),
});
