// @northstar/db: the schema's client, the request context that row-level security reads, raw SQL
// typed by its rows, typed database errors, and the chart and KPI-list reads (raw and from rollups).
export {
  type ContextReader,
  createDatabase,
  type Database,
  type DatabaseOptions,
  type DatabaseRole,
  queryRows,
  type RawQueryable,
  type RequestContext,
  type RowsOfEach,
  type ScopedDb,
} from "./client.ts";
export { columns, type Query, type RowsOf, sql } from "./query.ts";
export {
  configuredDatabaseUrl,
  databaseOptionsFromEnv,
  loginUrlVariables,
  parseDatabaseEnv,
  type DatabaseEnv,
} from "./env.ts";
export { loginRoles, type ProcessLogin } from "./logins.ts";
export * from "./credentials.ts";
export {
  DatabaseError,
  type DatabaseErrorKind,
  errorSummary,
  isConnectionLost,
  rethrowAsDatabaseError,
  toDatabaseError,
} from "./errors.ts";
export { Prisma } from "./generated/prisma/client.ts";
export * from "./series.ts";
export {
  chartFromRow,
  type KpiChart,
  type KpiChartInput,
  kpiChartQuery,
  kpiDataVersionQuery,
  type KpiChartReading,
  readKpiChart,
  readKpiChartReading,
} from "./chart.ts";
export {
  defaultMonthsAhead,
  maintainPointPartitions,
  type PointMaintenance,
  type PointPartitionSettings,
} from "./partitions.ts";
// The operator's drift check and rebuild (checkRollups, rebuildRollups) stay out: scripts/rollups.ts.
export {
  type CalendarInput,
  type CalendarUnit,
  calendarUnits,
  type FixedWidthInput,
  type RollupBucket,
  type RollupSeriesInput,
  rawRollupSeriesQuery,
  readRollupSeries,
  rollupSeriesQuery,
} from "./rollups.ts";
export type * from "./generated/prisma/models.ts";
export * from "./generated/prisma/enums.ts";
