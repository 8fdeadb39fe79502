import { z } from "zod";

// Input rules shared by the API and the database: the CHECK constraints in
// prisma/migrations/*_constraints_and_triggers say the same, so a bad value gets a clear message
// here and can never slip past there.

const trimmed = (label: string, max: number) =>
  z.string().trim().min(1, `${label} must not be empty`).max(max, `${label} must be at most ${max} characters`);

// zod 4 refuses NaN and infinities in z.number(); the message names the field.
const finite = (label: string) => z.number({ error: `${label} must be a finite number` });

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254, "Email must be at most 254 characters")
  .regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "Email must look like name@example.com");

export const userNameSchema = trimmed("Name", 100);

export const slugSchema = z
  .string()
  .min(3, "Slug must be at least 3 characters")
  .max(48, "Slug must be at most 48 characters")
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, "Slug may use lowercase letters, digits and single dashes between them");

export const workspaceInputSchema = z.object({
  name: trimmed("Workspace name", 80),
  slug: slugSchema,
});

export const workspaceRoleSchema = z.enum(["OWNER", "ADMIN", "MEMBER", "VIEWER"]);

export const kpiInputSchema = z.object({
  name: trimmed("KPI name", 120),
  description: z.string().trim().max(2000, "Description must be at most 2000 characters").default(""),
  unit: z.string().trim().max(32, "Unit must be at most 32 characters").default(""),
  category: trimmed("Category", 64).default("General"),
  direction: z.enum(["HIGHER_IS_BETTER", "LOWER_IS_BETTER"]).default("HIGHER_IS_BETTER"),
  targetValue: finite("Target").nullable().default(null),
});

export const dataPointInputSchema = z.object({
  value: finite("Value"),
  timestamp: z.coerce.date({ error: "Timestamp must be a date" }),
});

export const goalInputSchema = z.object({
  title: trimmed("Goal title", 200),
  description: z.string().trim().max(2000, "Description must be at most 2000 characters").default(""),
  targetDate: z.coerce.date().nullable().default(null),
  status: z.enum(["NOT_STARTED", "ON_TRACK", "AT_RISK", "OFF_TRACK", "COMPLETED", "ARCHIVED"]).default("NOT_STARTED"),
});

export const goalKpiWeightSchema = z
  .number()
  .gt(0, "Weight must be greater than 0")
  .max(1000, "Weight must be at most 1000");
