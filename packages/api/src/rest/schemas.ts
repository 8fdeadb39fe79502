import { dateFormats } from "@northstar/core/csv/dates";
import { kpiAggregations, kpiDirections } from "@northstar/core/kpi-progress";
import { dataPointInputSchema, kpiInputSchema } from "@northstar/core/schemas";
import { calendarUnits, maxBuckets, maxRangeMs } from "@northstar/db";
import { z } from "zod";

// The public REST API's inputs and answers, as zod schemas: requests are checked by them, and the
// OpenAPI document (openapi.ts) is generated from them. Inputs are @northstar/core's own rules
// (the KPI form's, a data point's), so the REST API and tRPC refuse the same values alike.

/** Points one push may carry; more is refused with 413 before any is read. */
export const maxPushPoints = 10_000;

export const kpiCreateBody = kpiInputSchema
  .pick({ name: true, unit: true, category: true, aggregation: true, targetValue: true })
  .strict();

export const kpiListQuery = z.object({
  status: z.enum(["active", "archived", "all"]).default("active"),
  category: z.string().trim().min(1).max(64).optional(),
  search: z.string().trim().max(120).optional(),
  cursor: z.uuid({ error: "Cursor must be the nextCursor of the previous page" }).optional(),
  limit: z.coerce
    .number({ error: "Limit must be a number" })
    .int("Limit must be a whole number")
    .min(1, "Limit must be at least 1")
    .max(100, "Limit must be at most 100")
    .default(50),
});

export const pointsBody = z
  .object({
    points: z
      .array(dataPointInputSchema.strict())
      .min(1, "Send at least one point")
      .max(maxPushPoints, `Send at most ${maxPushPoints} points per request`),
  })
  .strict();

const delimiters = { comma: ",", semicolon: ";", tab: "\t", pipe: "|" } as const;

export const importQuery = z.object({
  timestampColumn: z.string({ error: "timestampColumn is required: the header of the date column" }).min(1),
  valueColumn: z.string({ error: "valueColumn is required: the header of the value column" }).min(1),
  dateFormat: z.enum(dateFormats, { error: `dateFormat must be one of: ${dateFormats.join(", ")}` }).optional(),
  timeZone: z.string().min(1).max(64).optional(),
  delimiter: z
    .enum(["comma", "semicolon", "tab", "pipe"], { error: "delimiter must be comma, semicolon, tab or pipe" })
    .transform((name) => delimiters[name])
    .optional(),
});

export const seriesQuery = z
  .object({
    from: z.iso.datetime({ offset: true, error: "from must be an ISO 8601 date-time, e.g. 2026-01-01T00:00:00Z" }),
    to: z.iso.datetime({ offset: true, error: "to must be an ISO 8601 date-time, e.g. 2026-02-01T00:00:00Z" }),
    buckets: z.coerce
      .number({ error: "buckets must be a number" })
      .int("buckets must be a whole number")
      .min(1, "buckets must be at least 1")
      .max(maxBuckets, `buckets must be at most ${maxBuckets}`)
      .default(100),
    calendar: z
      .enum([...calendarUnits, "auto"], {
        error: `calendar must be auto or one of ${calendarUnits.join(", ")}`,
      })
      .optional()
      .meta({
        description:
          "Buckets of the calendar in the workspace's time zone (they start at its midnight, weeks on Monday); auto: the finest unit that fits in `buckets`. Without it, buckets are even, except that an even width of exactly a day or a week is the workspace's local days or weeks.",
      }),
  })
  .refine((value) => Date.parse(value.from) < Date.parse(value.to), { error: "from must be before to", path: ["from"] })
  .refine((value) => Date.parse(value.to) - Date.parse(value.from) <= maxRangeMs, {
    error: "from and to must be at most 100 years apart",
    path: ["from"],
  });

// Answers.

const isoDateTime = z.string().meta({ format: "date-time" });

export const kpiAnswer = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string(),
  unit: z.string(),
  category: z.string(),
  direction: z.enum(kpiDirections),
  aggregation: z.enum(kpiAggregations),
  targetValue: z.number().nullable(),
  currentValue: z.number().nullable(),
  currentValueAt: isoDateTime.nullable(),
  progressPct: z.number().nullable(),
  isActive: z.boolean(),
  archivedAt: isoDateTime.nullable(),
  createdAt: isoDateTime,
  updatedAt: isoDateTime,
});

export const kpiListAnswer = z.object({ items: z.array(kpiAnswer), nextCursor: z.uuid().nullable() });

export const pointsAnswer = z.object({
  received: z.number().int().meta({ description: "Points in the request (a timestamp sent twice counts once)." }),
  written: z.number().int().meta({ description: "Points inserted or changed; an unchanged point is not rewritten." }),
});

export const importAnswer = z.object({
  imported: z.number().int().meta({ description: "Points read from the file." }),
  inserted: z.number().int().meta({ description: "Points that were new." }),
  updated: z.number().int().meta({ description: "Points whose value changed." }),
  unchanged: z.number().int().meta({ description: "Points already there with the same value." }),
});

export const seriesAnswer = z.object({
  bucketWidthMs: z.number().int(),
  buckets: z.array(
    z.object({
      start: isoDateTime,
      value: z.number().nullable().meta({ description: "The bucket by the KPI's aggregation (null: no points)." }),
      sum: z.number().nullable(),
      avg: z.number().nullable(),
      min: z.number().nullable(),
      max: z.number().nullable(),
      last: z.number().nullable(),
      count: z.number().int(),
    }),
  ),
});

export const errorAnswer = z.object({
  error: z.object({
    code: z.string().meta({ description: "Stable: programs branch on it." }),
    message: z.string().meta({ description: "For a person: what went wrong and what to do." }),
    issues: z
      .array(z.object({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: "VALIDATION_FAILED: each refused value by its path (points.3.value)." }),
    lines: z
      .array(z.object({ line: z.number().int(), message: z.string() }))
      .optional()
      .meta({ description: "IMPORT_REJECTED: each line to fix (1-based, the header included)." }),
  }),
});
