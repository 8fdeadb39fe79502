import type { ApiKeyScope } from "@northstar/core/schemas";
import { z } from "zod";
import { importRouter } from "../routers/import.ts";
import { kpiRouter } from "../routers/kpi.ts";
import { createCallerFactory, createTRPCRouter } from "../trpc.ts";
import { pushPoints } from "./points.ts";
import {
  importAnswer,
  importQuery,
  kpiAnswer,
  kpiCreateBody,
  kpiListAnswer,
  kpiListQuery,
  pointsAnswer,
  pointsBody,
  seriesAnswer,
  seriesQuery,
} from "./schemas.ts";
import { restBuckets } from "./series.ts";

// The REST API's routes, as data: the handler (handler.ts) serves them and the OpenAPI document
// (openapi.ts) describes them, from the same schemas, so the two cannot drift. Each route runs the
// API's own procedures (kpiRouter's, the import engine's, and the push of points.ts) through a tRPC caller whose
// context is the request's API key: the same permission checks, plan limits, row-level security
// and writes as the web app's calls.

export const restRouter = createTRPCRouter({ kpi: kpiRouter, import: importRouter, pushPoints });

/** A column named by its header, or by a 0-based position written as digits. */
function column(name: string): string | number {
  return /^\d+$/.test(name) ? Number(name) : name;
}
export const createRestCaller = createCallerFactory(restRouter);
export type RestCaller = ReturnType<typeof createRestCaller>;

export interface RestCall {
  caller: RestCaller;
  workspaceId: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON, or the text of a text/csv body. */
  body: unknown;
}

export interface RestRoute {
  method: "GET" | "POST";
  /** OpenAPI path template, under /api/v1. */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  /** The scope a key needs: `read`, or `write` (which includes read). */
  scope: ApiKeyScope;
  query: z.ZodType | null;
  body: { type: "json"; schema: z.ZodType } | { type: "csv" } | null;
  status: 200 | 201;
  answer: z.ZodType;
  /** Refusals this route can answer besides 401, 429 and 500 (documented per route). */
  errors: readonly number[];
  run(call: RestCall): Promise<unknown>;
}

// Dates as JSON text: the schemas' date-times.
function asJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

const kpiPath = "/kpis/{kpiId}";

export const restRoutes: readonly RestRoute[] = [
  {
    method: "GET",
    path: "/kpis",
    operationId: "listKpis",
    summary: "List KPIs",
    description: "The workspace's KPIs by name, a page at a time: pass `nextCursor` as `cursor` for the next page.",
    scope: "read",
    query: kpiListQuery,
    body: null,
    status: 200,
    answer: kpiListAnswer,
    errors: [400],
    async run({ caller, workspaceId, query }) {
      const input = kpiListQuery.parse(query);
      return asJson(await caller.kpi.list({ workspaceId, ...input }));
    },
  },
  {
    method: "POST",
    path: "/kpis",
    operationId: "createKpi",
    summary: "Create a KPI",
    description:
      "A new KPI. `aggregation` says how its points add up in a period: SUM for counts and amounts, AVERAGE (the default) for rates, LAST for levels, MIN, MAX.",
    scope: "write",
    query: null,
    body: { type: "json", schema: kpiCreateBody },
    status: 201,
    answer: kpiAnswer,
    errors: [400, 403, 409],
    async run({ caller, workspaceId, body }) {
      const input = kpiCreateBody.parse(body);
      return asJson(await caller.kpi.create({ workspaceId, ...input }));
    },
  },
  {
    method: "POST",
    path: `${kpiPath}/points`,
    operationId: "pushPoints",
    summary: "Push data points",
    description:
      "Up to 10,000 points per request. Idempotent per KPI and timestamp: sending a point again changes nothing, a new value for the same timestamp replaces the one pushed before. Points from the web app, imports and integrations are kept apart.",
    scope: "write",
    query: null,
    body: { type: "json", schema: pointsBody },
    status: 200,
    answer: pointsAnswer,
    errors: [400, 403, 404, 413],
    async run({ caller, workspaceId, params, body }) {
      const { points } = pointsBody.parse(body);
      return caller.pushPoints({ workspaceId, kpiId: params.kpiId ?? "", points });
    },
  },
  {
    method: "POST",
    path: `${kpiPath}/import`,
    operationId: "importCsv",
    summary: "Import a CSV file",
    description:
      "A `text/csv` body with a header row; `timestampColumn` and `valueColumn` name its columns (or give 0-based positions). Delimiter, decimal comma and date format are detected; an ambiguous date column (01/02/2026) is refused until `dateFormat` says which. Dates without an offset are read in `timeZone` (default: the workspace's time zone). All or nothing: any bad line and nothing is written (`lines` lists them). Idempotent: importing the same file again changes nothing, and a changed value updates its point.",
    scope: "write",
    query: importQuery,
    body: { type: "csv" },
    status: 200,
    answer: importAnswer,
    errors: [400, 403, 404, 409, 413, 415],
    async run({ caller, workspaceId, params, query, body }) {
      const input = importQuery.parse(query);
      // The web app's import engine (all or nothing, idempotent), one value column into this KPI.
      const result = await caller.import.csv({
        workspaceId,
        text: typeof body === "string" ? body : "",
        mapping: {
          timestampColumn: column(input.timestampColumn),
          columns: [{ column: column(input.valueColumn), target: { kpiId: params.kpiId ?? "" } }],
          ...(input.dateFormat ? { dateFormat: input.dateFormat } : {}),
          ...(input.timeZone ? { timeZone: input.timeZone } : {}),
          ...(input.delimiter ? { delimiter: input.delimiter } : {}),
        },
      });
      return {
        imported: result.points,
        inserted: result.inserted,
        updated: result.updated,
        unchanged: result.unchanged,
      };
    },
  },
  {
    method: "GET",
    path: `${kpiPath}/series`,
    operationId: "getSeries",
    summary: "Read a KPI's series",
    description:
      "The KPI over [from, to) in at most `buckets` buckets: even ones, or the workspace's calendar days, weeks or months (see `calendar`); the first calendar bucket is the whole unit that holds `from`, so it may start (and count points) before `from`. `value` follows the KPI's aggregation; `sum`, `avg`, `min`, `max`, `last` and `count` are all given. An empty bucket has count 0 and null values.",
    scope: "read",
    query: seriesQuery,
    body: null,
    status: 200,
    answer: seriesAnswer,
    errors: [400, 404],
    async run({ caller, workspaceId, params, query }) {
      const input = seriesQuery.parse(query);
      const kpiId = params.kpiId ?? "";
      const series = await caller.kpi.series({
        workspaceId,
        kpiId,
        from: new Date(input.from),
        to: new Date(input.to),
        buckets: input.buckets,
        ...(input.calendar ? { calendar: input.calendar } : {}),
        compare: false,
      });
      return { bucketWidthMs: series.bucketWidthMs, buckets: restBuckets(series.columns) };
    },
  },
];

/** The path parameters every route names (all are ids). */
export const pathParameters = { kpiId: z.uuid().meta({ description: "The KPI's id." }) } as const;
