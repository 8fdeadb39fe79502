import { dataPointInputSchema } from "@northstar/core/schemas";
import { z } from "zod";
import { assertKpiWritable } from "../plans.ts";
import { findKpi } from "../routers/kpi.ts";
import { workspaceProcedure } from "../trpc.ts";
import { maxPushPoints } from "./schemas.ts";

// Points pushed by scripts and other systems (POST /api/v1/kpis/{kpiId}/points): an idempotent
// upsert per (KPI, timestamp, source API), so a script that retries or resends a day changes
// nothing, and a changed value updates its point. Values the web form, an import or an
// integration wrote at the same time are their own points (other sources) and stay.

const chunk = 5_000;

export const pushPoints = workspaceProcedure("kpi.write")
  .input(
    z.object({
      kpiId: z.uuid({ error: "KPI id must be a UUID" }),
      points: z.array(dataPointInputSchema).min(1).max(maxPushPoints),
    }),
  )
  .mutation(async ({ ctx, input }) => {
    await findKpi(ctx.db, ctx.workspace.id, input.kpiId);
    await assertKpiWritable(ctx.db, ctx.workspace.id, input.kpiId, ctx.billing);
    // One statement cannot update a row twice: a timestamp sent twice keeps its last value.
    const byTime = new Map<number, number>();
    for (const point of input.points) byTime.set(point.timestamp.getTime(), point.value);
    const times = [...byTime.keys()];
    let written = 0;
    for (let start = 0; start < times.length; start += chunk) {
      const slice = times.slice(start, start + chunk);
      written += await ctx.db.$executeRaw`
        INSERT INTO kpi_data_points AS p (workspace_id, kpi_id, value, "timestamp", source)
        SELECT ${ctx.workspace.id}::uuid, ${input.kpiId}::uuid, r.value, r.ts, 'API'
          FROM unnest(${slice.map((time) => byTime.get(time) ?? 0)}::float8[],
                      ${slice.map((time) => new Date(time).toISOString())}::timestamptz[]) AS r(value, ts)
        ON CONFLICT (workspace_id, kpi_id, "timestamp", source) DO UPDATE SET value = excluded.value
          WHERE p.value IS DISTINCT FROM excluded.value`;
    }
    return { received: times.length, written };
  });
