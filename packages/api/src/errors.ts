import { type DatabaseError, type DatabaseErrorKind, isConnectionLost, toDatabaseError } from "@northstar/db";
import { TRPCError } from "@trpc/server";
import { CallsRefused } from "./call-limits.ts";

// Database failures become tRPC errors with a stable code and a message a user can act on. The
// database's own text never leaves the server (it stays in `cause`, for logs).

type Code = TRPCError["code"];

const codeByKind: Record<DatabaseErrorKind, Code> = {
  unique_violation: "CONFLICT",
  foreign_key_violation: "CONFLICT",
  check_violation: "BAD_REQUEST",
  not_null_violation: "BAD_REQUEST",
  permission_denied: "FORBIDDEN",
  serialization_failure: "CONFLICT",
  not_found: "NOT_FOUND",
  invalid_input: "BAD_REQUEST",
  timeout: "TIMEOUT",
};

const messageByKind: Record<DatabaseErrorKind, string> = {
  unique_violation: "Something with the same name or value already exists.",
  foreign_key_violation: "This refers to something that no longer exists, or is still in use.",
  check_violation: "A value is not allowed here; check the form and try again.",
  not_null_violation: "A required value is missing.",
  permission_denied: "Your role in this workspace does not allow that.",
  serialization_failure: "Someone changed this at the same time; try again.",
  not_found: "Not found.",
  invalid_input: "A value has the wrong format.",
  timeout: "That took too long; try again, or narrow the request.",
};

// Constraints a user can run into, named by the database, with what to do about them.
const messageByConstraint: Record<string, string> = {
  workspaces_slug_key: "That workspace URL is taken; choose another slug.",
  kpis_active_name_key: "An active KPI already has this name; choose another name or archive the other KPI.",
  kpi_data_points_workspace_id_kpi_id_timestamp_source_key:
    "This KPI already has a value at that time; delete it first or pick another time.",
  goal_kpis_workspace_id_goal_id_kpi_id_key: "This KPI is already linked to the goal.",
  invitations_workspace_id_email_key: "This email already has a pending invitation.",
  workspace_users_workspace_id_user_id_key: "This person is already a member.",
  workspaces_keep_an_owner: "A workspace must keep at least one owner: make another member an owner first.",
  users_email_key: "This email already belongs to an account that signs in another way; use that sign-in.",
  kpi_data_points_workspace_id_kpi_id_fkey: "This KPI has data points; archive it instead of deleting it.",
};

// Prisma's driver adapter does not name the constraint of a unique violation, but it names the
// model; on these models each kind of failure has one cause a user can meet.
const messageByModel: Record<string, Partial<Record<DatabaseErrorKind, string>>> = {
  Kpi: { unique_violation: "An active KPI already has this name; choose another name or archive the other KPI." },
  KpiDataPoint: {
    unique_violation: "This KPI already has a value at that time; delete it first or pick another time.",
    foreign_key_violation: "KPI not found.",
  },
  GoalKpi: { unique_violation: "This KPI is already linked to the goal.", foreign_key_violation: "KPI not found." },
  Invitation: { unique_violation: "This email already has a pending invitation." },
  WorkspaceUser: { unique_violation: "This person is already a member." },
  Workspace: { unique_violation: "That workspace URL is taken; choose another slug." },
};

function modelOf(error: DatabaseError): string | undefined {
  const cause: unknown = error.cause;
  if (typeof cause !== "object" || cause === null || !("meta" in cause)) return undefined;
  const meta: unknown = cause.meta;
  if (typeof meta !== "object" || meta === null || !("modelName" in meta)) return undefined;
  return typeof meta.modelName === "string" ? meta.modelName : undefined;
}

export function databaseErrorToTRPC(error: DatabaseError): TRPCError {
  const byConstraint = error.constraint === undefined ? undefined : messageByConstraint[error.constraint];
  const model = modelOf(error);
  const byModel = model === undefined ? undefined : messageByModel[model]?.[error.kind];
  return new TRPCError({
    code: codeByKind[error.kind],
    message: byConstraint ?? byModel ?? messageByKind[error.kind],
    cause: error,
  });
}

// pg-pool's answer when none of its connections frees up within the connection timeout: the
// pool is saturated, not broken. pg-pool gives it no code, so its fixed text is the only mark.
const poolTimeoutMessage = "timeout exceeded when trying to connect";
const poolBusyRetryAfterSeconds = 2;

/** A pool-acquire timeout as 503 with Retry-After (the host's responseMeta reads CallsRefused), or null. */
function poolSaturated(error: unknown): TRPCError | null {
  if (!(error instanceof Error) || error.message !== poolTimeoutMessage || "code" in error) return null;
  return new TRPCError({
    code: "SERVICE_UNAVAILABLE",
    message: "Northstar is busy right now; try again in a few seconds.",
    cause: new CallsRefused(poolBusyRetryAfterSeconds),
  });
}

// Prisma's codes for a server it cannot reach or that hung up (P1001, P1002, P1008, P1017); pg's own
// (SQLSTATE class 08, 57P01-57P03, socket errors) are isConnectionLost's.
const unreachablePrismaCodes: ReadonlySet<string> = new Set(["P1001", "P1002", "P1008", "P1017"]);

/** How long a caller is asked to wait while the database is away (a restart takes seconds). */
const databaseUnavailableRetryAfterSeconds = 5;

/**
 * The database is down or restarting: SERVICE_UNAVAILABLE (503) with a Retry-After, not an
 * INTERNAL_SERVER_ERROR, so that clients and load balancers wait and try again.
 */
function databaseUnavailable(error: unknown): TRPCError | undefined {
  const code: unknown = typeof error === "object" && error !== null ? Reflect.get(error, "code") : undefined;
  if (!isConnectionLost(error) && !(typeof code === "string" && unreachablePrismaCodes.has(code))) return undefined;
  return new TRPCError({
    code: "SERVICE_UNAVAILABLE",
    message: `The database is not reachable right now (it may be restarting); try again in ${databaseUnavailableRetryAfterSeconds} seconds.`,
    cause: new CallsRefused(databaseUnavailableRetryAfterSeconds),
  });
}

/**
 * Any error out of a procedure as a TRPCError: database errors (raw, or wrapped by tRPC as the
 * cause of an INTERNAL_SERVER_ERROR) mapped, a saturated pool or an unreachable database as
 * SERVICE_UNAVAILABLE; other TRPCErrors kept; anything else an INTERNAL_SERVER_ERROR, whose text
 * the error formatter never sends.
 */
export function toTRPCError(error: unknown): TRPCError {
  const saturated = poolSaturated(
    error instanceof TRPCError && error.code === "INTERNAL_SERVER_ERROR" ? error.cause : error,
  );
  if (saturated) return saturated;
  if (error instanceof TRPCError) {
    if (error.code !== "INTERNAL_SERVER_ERROR") return error;
    const database = toDatabaseError(error.cause);
    return database ? databaseErrorToTRPC(database) : (databaseUnavailable(error.cause) ?? error);
  }
  const unavailable = databaseUnavailable(error);
  if (unavailable) return unavailable;
  const database = toDatabaseError(error);
  return database ? databaseErrorToTRPC(database) : new TRPCError({ code: "INTERNAL_SERVER_ERROR", cause: error });
}
