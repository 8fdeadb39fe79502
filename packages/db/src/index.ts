// @northstar/db: the schema's client, the request context that row-level security reads, typed
// database errors and the chart and KPI-list reads.
export {
  type ContextReader,
  createDatabase,
  type Database,
  type DatabaseOptions,
  type DatabaseRole,
  type RawQueryable,
  type RequestContext,
  type ScopedDb,
} from "./client.ts";
export { databaseOptionsFromEnv, parseDatabaseEnv, type DatabaseEnv } from "./env.ts";
export * from "./credentials.ts";
export { DatabaseError, type DatabaseErrorKind, rethrowAsDatabaseError, toDatabaseError } from "./errors.ts";
export { Prisma } from "./generated/prisma/client.ts";
export * from "./series.ts";
export type * from "./generated/prisma/models.ts";
export * from "./generated/prisma/enums.ts";
