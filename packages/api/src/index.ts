// @northstar/api: the tRPC router, its context, and the sign-in functions the host mounts.
export { appRouter, type AppRouter, type RouterInputs, type RouterOutputs } from "./root.ts";
export {
  type Context,
  type CreateContextOptions,
  createCallerFactory,
  createTRPCContext,
  type Jobs,
  type RequestMetadata,
} from "./trpc.ts";
export * from "./auth/index.ts";
// The workspace export, streamed by the host's download route.
export {
  type ExportDownload,
  type ExportFormat,
  exportFormats,
  openWorkspaceExport,
} from "./export/open.ts";
export {
  type CallBudget,
  type CallDecision,
  type CallLimits,
  CallsRefused,
  type CallSlot,
  retryAfterSeconds,
} from "./call-limits.ts";
export { planLimits, type PlanLimits } from "./plans.ts";
// The hot reads' statements, for benchmarks that run them raw.
export { workspacePlanQuery } from "./plans.ts";
export { kpiChartHeadQuery, kpiListQuery } from "./kpi/list.ts";
export { ChartCache } from "./kpi/chart-cache.ts";
export { goalListQueries } from "./goal/list.ts";
export { sessionLookupSql } from "./auth/session.ts";
export { type Billing, parseBillingEnv, createStripeClient } from "./billing/config.ts";
export { handleStripeWebhook, type WebhookOutcome } from "./billing/webhook.ts";
// The public REST API (/api/v1), mounted by the host.
export { createRestApi, type RestApiOptions, type RestRateLimiter } from "./rest/handler.ts";

// The import engine (CSV stream + mapping, in a caller's transaction) and the upload route's checks.
export {
  importCsv,
  type CsvImportRequest,
  type ImportedKpi,
  ImportQuestionsError,
  type ImportResult,
  type ImportScope,
} from "./import/engine.ts";
export { importMappingSchema, type ImportMapping, type ImportTarget, kpiAggregations } from "./import/mapping.ts";
export { type Importer, importUpload, resolveImporter, uploadTransactionMs } from "./import/upload.ts";
export { ImportLinesError, type LineError } from "./kpi/import.ts";
export { type ImportRefusal, importRefusal } from "./import/refusal.ts";
