import type { ScopedDb } from "@northstar/db";
import { kpiRules } from "@northstar/core/field-rules";
import { progressPct, summarizeKpi } from "@northstar/core/kpi-progress";
import { dataPointInputSchema, kpiInputSchema, pointTimestampSchema } from "@northstar/core/schemas";
import { pointInstant, TimestampError } from "@northstar/core/timestamps";
import { TRPCError, type TRPCRouterRecord } from "@trpc/server";
import { z } from "zod";
import { importCsv, importPointRows } from "../import/engine.ts";
import { parseJsonRows } from "../kpi/import.ts";
import { maxPastedRows } from "./import.ts";
import {
  calendarBound,
  calendarUnits,
  type KpiChartInput,
  kpiSummaries,
  maxBuckets,
  maxRangeMs,
  maxSummaries,
  type DataPointSource,
  Prisma,
  queryRows,
  sql,
  type SummaryPeriod,
} from "@northstar/db";
import { kpiChartHeadQuery, type KpiListRow, kpiListQuery, kpiSelect } from "../kpi/list.ts";
import { readChartAnswer } from "../kpi/chart.ts";
import { pageOf } from "../pagination.ts";
import { assertKpiCapacity, assertKpiWritable, historyStart, planOf, workspacePlan } from "../plans.ts";
import { withoutWorkspaceRef, workspaceProcedure, workspaceReadProcedure } from "../trpc.ts";

/** A data point as the KPI page lists it (dataPointSelect's fields). */
interface DataPointRow {
  id: string;
  kpiId: string;
  value: number;
  timestamp: Date;
  source: DataPointSource;
  createdAt: Date;
}

const dataPointSelect = {
  id: true,
  kpiId: true,
  value: true,
  timestamp: true,
  source: true,
  createdAt: true,
} satisfies Prisma.KpiDataPointSelect;

/**
 * A KPI with its latest value's progress toward the target. The dashboard, the goals and the KPI's
 * page measure progress by the current period's value as the KPI's aggregation adds up (a SUM
 * KPI's month so far: kpi.summary); for a LAST KPI the two agree.
 */
function withProgress(kpi: KpiListRow) {
  return { ...kpi, progressPct: progressPct(kpi.direction, kpi.currentValue, kpi.targetValue) };
}

const periods = ["day", "week", "month", "quarter", "year"] as const satisfies readonly SummaryPeriod[];

const kpiId = z.uuid({ error: "KPI id must be a UUID" });
const kpiRef = z.object({ kpiId });

function kpiNotFound(): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: "KPI not found." });
}

export async function findKpi(db: ScopedDb, workspaceId: string, id: string): Promise<KpiListRow> {
  const kpi = await db.kpi.findUnique({ where: { workspaceId_id: { workspaceId, id } }, select: kpiSelect });
  if (!kpi) throw kpiNotFound();
  return kpi;
}

/**
 * The plan's history is what it shows, not what it keeps: points of any age are accepted, and
 * reads start at the plan's window. The answer says what lies before it, for "upgrade to see N
 * older points" (null: nothing is hidden).
 */
async function hiddenHistory(db: ScopedDb, kpiId: string, start: Date | null) {
  if (!start) return null;
  const older = await db.kpiDataPoint.count({ where: { kpiId, timestamp: { lt: start } } });
  return older > 0 ? { before: start, points: older } : null;
}

const importInput = kpiRef.extend({
  // CSV text, or a JSON array of { timestamp, value }.
  data: z.union([
    z.string().max(2_000_000, "Import at most 2 MB of CSV at a time"),
    z.array(z.unknown()).max(maxPastedRows, `Import at most ${maxPastedRows} points at a time`),
  ]),
});

// Every field optional; a value given is checked as on create (the defaults do not apply).
const updateInput = kpiRef.extend({
  name: kpiInputSchema.shape.name.optional(),
  description: kpiInputSchema.shape.description.unwrap().optional(),
  unit: kpiInputSchema.shape.unit.unwrap().optional(),
  category: kpiInputSchema.shape.category.unwrap().optional(),
  direction: kpiInputSchema.shape.direction.unwrap().optional(),
  aggregation: kpiInputSchema.shape.aggregation.unwrap().optional(),
  targetValue: kpiInputSchema.shape.targetValue.unwrap().optional(),
});

export const kpiRouter = {
  /** KPIs by name, filtered, a page at a time (pass the returned nextCursor to continue). */
  list: workspaceReadProcedure("kpi.read")
    .input(
      z.object({
        category: z.string().trim().min(1).max(kpiRules.categoryMax).optional(),
        status: z.enum(["active", "archived", "all"]).default("active"),
        search: z.string().trim().max(kpiRules.nameMax, `Search at most ${kpiRules.nameMax} characters`).optional(),
        cursor: kpiId.optional(),
        limit: z.number().int().min(1, "Limit must be at least 1").max(100, "Limit must be at most 100").default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const rows = await queryRows(
        ctx.read,
        kpiListQuery({
          workspaceId: ctx.workspace.id,
          status: input.status,
          category: input.category,
          search: input.search,
          cursor: input.cursor,
          take: input.limit + 1,
        }),
      );
      const { items, nextCursor } = pageOf(rows, input.limit);
      return { items: items.map(withProgress), nextCursor };
    }),

  get: workspaceProcedure("kpi.read")
    .input(kpiRef)
    .query(async ({ ctx, input }) => withProgress(await findKpi(ctx.db, ctx.workspace.id, input.kpiId))),

  create: workspaceProcedure("kpi.write")
    .input(kpiInputSchema)
    .mutation(async ({ ctx, input }) => {
      await assertKpiCapacity(ctx.db, ctx.workspace.id, 1, ctx.billing);
      const kpi = await ctx.db.kpi.create({
        data: { ...withoutWorkspaceRef(input), workspaceId: ctx.workspace.id },
        select: kpiSelect,
      });
      return withProgress(kpi);
    }),

  update: workspaceProcedure("kpi.write")
    .input(updateInput)
    .mutation(async ({ ctx, input }) => {
      const { kpiId: id, ...data } = withoutWorkspaceRef(input);
      await findKpi(ctx.db, ctx.workspace.id, id);
      await assertKpiWritable(ctx.db, ctx.workspace.id, id, ctx.billing);
      const kpi = await ctx.db.kpi.update({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id } },
        data,
        select: kpiSelect,
      });
      return withProgress(kpi);
    }),

  /** Soft delete: the KPI and its history stay, out of lists and limits. */
  archive: workspaceProcedure("kpi.write")
    .input(kpiRef)
    .mutation(async ({ ctx, input }) => {
      await findKpi(ctx.db, ctx.workspace.id, input.kpiId);
      const kpi = await ctx.db.kpi.update({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: input.kpiId } },
        data: { isActive: false, archivedAt: ctx.clock() },
        select: kpiSelect,
      });
      return withProgress(kpi);
    }),

  restore: workspaceProcedure("kpi.write")
    .input(kpiRef)
    .mutation(async ({ ctx, input }) => {
      const existing = await findKpi(ctx.db, ctx.workspace.id, input.kpiId);
      if (existing.isActive) return withProgress(existing);
      await assertKpiCapacity(ctx.db, ctx.workspace.id, 1, ctx.billing);
      const kpi = await ctx.db.kpi.update({
        where: { workspaceId_id: { workspaceId: ctx.workspace.id, id: input.kpiId } },
        data: { isActive: true, archivedAt: null },
        select: kpiSelect,
      });
      return withProgress(kpi);
    }),

  /** The categories of the workspace's KPIs, with how many active KPIs each has. */
  categories: workspaceProcedure("kpi.read").query(async ({ ctx }) => {
    const groups = await ctx.db.kpi.groupBy({
      by: ["category"],
      where: { workspaceId: ctx.workspace.id, isActive: true },
      _count: { _all: true },
      orderBy: { category: "asc" },
    });
    return groups.map((group) => ({ category: group.category, kpis: group._count._all }));
  }),

  /** A timestamp without an offset ("2026-03-29T10:00") is read in the workspace's time zone. */
  recordPoint: workspaceProcedure("kpi.write")
    .input(kpiRef.extend({ value: dataPointInputSchema.shape.value, timestamp: pointTimestampSchema }))
    .mutation(async ({ ctx, input }) => {
      let timestamp: Date;
      try {
        timestamp = pointInstant(input.timestamp, ctx.workspace.timeZone);
      } catch (error) {
        if (error instanceof TimestampError) throw new TRPCError({ code: "BAD_REQUEST", message: `${error.message}.` });
        throw error;
      }
      await findKpi(ctx.db, ctx.workspace.id, input.kpiId);
      await assertKpiWritable(ctx.db, ctx.workspace.id, input.kpiId, ctx.billing);
      return ctx.db.kpiDataPoint.create({
        data: {
          workspaceId: ctx.workspace.id,
          kpiId: input.kpiId,
          value: input.value,
          timestamp,
          source: "MANUAL",
        },
        select: dataPointSelect,
      });
    }),

  /**
   * CSV text (`timestamp,value`, a header or not) or a JSON array of { timestamp, value } into one
   * KPI, through the import engine: all or nothing (the error lists the lines), idempotent.
   */
  importPoints: workspaceProcedure("kpi.write")
    .input(importInput)
    .mutation(async ({ ctx, input }) => {
      const scope = { workspaceId: ctx.workspace.id, billing: ctx.billing };
      const result =
        typeof input.data === "string"
          ? await importCsv(ctx.db, scope, {
              source: input.data,
              mapping: { timestampColumn: 0, columns: [{ column: 1, target: { kpiId: input.kpiId } }] },
              maxRows: maxPastedRows,
            })
          : await importPointRows(ctx.db, scope, input.kpiId, parseJsonRows(input.data));
      return { imported: result.points, inserted: result.inserted, updated: result.updated };
    }),

  deletePoint: workspaceProcedure("kpi.write")
    .input(z.object({ pointId: z.uuid({ error: "Data point id must be a UUID" }) }))
    .mutation(async ({ ctx, input }) => {
      const point = await ctx.db.kpiDataPoint.findFirst({
        where: { workspaceId: ctx.workspace.id, id: input.pointId },
        select: { kpiId: true },
      });
      if (!point) throw new TRPCError({ code: "NOT_FOUND", message: "Data point not found." });
      await assertKpiWritable(ctx.db, ctx.workspace.id, point.kpiId, ctx.billing);
      const deleted = await ctx.db.kpiDataPoint.deleteMany({
        where: { workspaceId: ctx.workspace.id, id: input.pointId },
      });
      if (deleted.count === 0) throw new TRPCError({ code: "NOT_FOUND", message: "Data point not found." });
      return { deleted: true };
    }),

  /**
   * Raw points within the plan's history, newest first, a page at a time (pass the returned
   * nextCursor for older ones); `hidden` counts the older ones. Charts use `series`.
   */
  points: workspaceProcedure("kpi.read")
    .input(
      kpiRef.extend({
        cursor: z.uuid({ error: "Cursor must be a data point id" }).optional(),
        limit: z.number().int().min(1, "Limit must be at least 1").max(500, "Limit must be at most 500").default(100),
      }),
    )
    .query(async ({ ctx, input }) => {
      await findKpi(ctx.db, ctx.workspace.id, input.kpiId);
      const start = historyStart(await workspacePlan(ctx.db, ctx.billing), ctx.clock());
      // Keyset paging in the list's order (timestamp, then id, both newest first) from the cursor
      // point's own position, read in the database: a point's key now includes its timestamp
      // (kpi_data_points is partitioned by it), which a client-side Date would round to the
      // millisecond. A cursor that is gone reads as the end of the list.
      const cursor = input.cursor ?? null;
      const rows = await queryRows(
        ctx.db,
        sql<DataPointRow>`SELECT p.id::text AS id, p.kpi_id::text AS "kpiId", p.value, p."timestamp", p.source::text AS source,
                 p.created_at AS "createdAt"
            FROM kpi_data_points AS p
           WHERE p.workspace_id = ${ctx.workspace.id}::uuid AND p.kpi_id = ${input.kpiId}::uuid
             AND (${start}::timestamptz IS NULL OR p."timestamp" >= ${start}::timestamptz)
             AND (${cursor}::uuid IS NULL OR (p."timestamp", p.id) < (
                   SELECT c."timestamp", c.id FROM kpi_data_points AS c
                    WHERE c.workspace_id = ${ctx.workspace.id}::uuid AND c.kpi_id = ${input.kpiId}::uuid
                      AND c.id = ${cursor}::uuid))
           ORDER BY p."timestamp" DESC, p.id DESC
           LIMIT ${input.limit + 1}`,
      );
      return { ...pageOf(rows, input.limit), hidden: await hiddenHistory(ctx.db, input.kpiId, start) };
    }),

  /**
   * The KPI over [from, to) in at most `buckets` buckets (downsampled in the database), and the
   * same number of buckets just before it for comparison; as columns (bucket starts in epoch ms).
   * Each bucket's `value` follows the KPI's aggregation (sum, avg, min, max, last and count are
   * there too). `calendar` asks for local hours, days, weeks (from Monday), months, quarters or
   * years of the workspace's time zone ("auto": the finest that fits in `buckets`); a width of
   * exactly a day or a week is calendar days or weeks anyway. Points before the plan's history
   * window are left out (empty buckets); `hidden` counts them.
   */
  series: workspaceReadProcedure("kpi.read")
    .input(
      kpiRef
        .extend({
          from: z.coerce.date({ error: "From must be a date" }),
          to: z.coerce.date({ error: "To must be a date" }),
          buckets: z
            .number()
            .int()
            .min(1, "Buckets must be at least 1")
            .max(maxBuckets, `Buckets must be at most ${maxBuckets}`)
            .default(100),
          calendar: z
            .enum([...calendarUnits, "auto"], {
              error: `Calendar must be auto or one of ${calendarUnits.join(", ")}`,
            })
            .optional(),
          compare: z.boolean().default(true),
        })
        .refine((value) => value.from < value.to, { error: "From must be before to", path: ["from"] })
        // The database layer refuses these with a RangeError (a 500): answer them as bad input.
        .refine((value) => value.to.getTime() - value.from.getTime() <= maxRangeMs, {
          error: "From and to must be at most 100 years apart",
          path: ["from"],
        })
        .refine((value) => !Number.isNaN(new Date(2 * value.from.getTime() - value.to.getTime()).getTime()), {
          error: "From is too far in the past",
          path: ["from"],
        })
        .refine(
          (value) =>
            value.calendar === undefined ||
            value.calendar === "auto" ||
            calendarBound(value.calendar, value.to.getTime() - value.from.getTime()) <= maxBuckets + 1,
          { error: `That range has more than ${maxBuckets} buckets of that calendar unit`, path: ["calendar"] },
        ),
    )
    .query(async ({ ctx, input }) => {
      // One statement for the KPI, the plan and the version of the KPI's data; then the chart (both
      // periods and the hidden count, one statement) clipped to the plan's window, unless this
      // host has it for that version.
      const heads = await queryRows(ctx.read, kpiChartHeadQuery(ctx.workspace.id, input.kpiId));
      const kpi = heads[0];
      if (!kpi) throw kpiNotFound();
      const start = historyStart(planOf(heads, ctx.billing), ctx.clock());
      const range: KpiChartInput = {
        kpiId: input.kpiId,
        workspaceId: ctx.workspace.id,
        from: input.from,
        to: input.to,
        buckets: input.buckets,
        aggregation: kpi.aggregation,
        timeZone: ctx.workspace.timeZone,
        visibleFrom: start,
        compare: input.compare,
        ...(input.calendar ? { calendar: input.calendar } : {}),
      };
      const read = () => readChartAnswer(ctx.read, kpi, range);
      const answer = ctx.charts
        ? await ctx.charts.get(
            {
              workspaceId: ctx.workspace.id,
              kpiId: kpi.id,
              version: kpi.version,
              from: input.from,
              to: input.to,
              buckets: input.buckets,
              calendar: input.calendar ?? null,
              compare: input.compare,
              aggregation: kpi.aggregation,
              direction: kpi.direction,
              timeZone: ctx.workspace.timeZone,
              visibleFrom: start,
            },
            read,
          )
        : (await read()).answer;
      return {
        kpi: {
          id: kpi.id,
          name: kpi.name,
          unit: kpi.unit,
          direction: kpi.direction,
          aggregation: kpi.aggregation,
          targetValue: kpi.targetValue,
        },
        ...answer,
      };
    }),

  /**
   * Per active KPI: its value for the current period (the calendar day, week, month, quarter or
   * year so far, in the workspace's time zone) as its aggregation adds up (SUM the total, AVERAGE
   * the mean, MIN / MAX the extreme, LAST the newest value), the target and progress toward it,
   * and the change against the previous period up to the same point in it.
   */
  summary: workspaceReadProcedure("kpi.read")
    .input(
      z.object({
        period: z.enum(periods, { error: `Period must be one of ${periods.join(", ")}` }).default("month"),
        category: z.string().trim().min(1).max(kpiRules.categoryMax).optional(),
        /** Only this KPI, archived or not (its page shows the same figures as its dashboard card). */
        kpiId: kpiId.optional(),
        limit: z.number().int().min(1).max(maxSummaries).default(50),
      }),
    )
    .query(async ({ ctx, input }) => {
      const rows = await kpiSummaries(ctx.read, {
        workspaceId: ctx.workspace.id,
        period: input.period,
        limit: input.limit,
        now: ctx.clock(),
        ...(input.category ? { category: input.category } : {}),
        ...(input.kpiId ? { kpiId: input.kpiId } : {}),
      });
      // A KPI named by id is there, archived or not: none means not this workspace's.
      if (input.kpiId && rows.length === 0) throw kpiNotFound();
      return rows.map(summarizeKpi);
    }),
} satisfies TRPCRouterRecord;
