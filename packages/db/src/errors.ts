// Database failures as typed domain errors, decided by SQLSTATE or Prisma code, never by message
// text. The API turns each kind into a tRPC code and a message a user can act on.

export type DatabaseErrorKind =
  | "unique_violation"
  | "foreign_key_violation"
  | "check_violation"
  | "not_null_violation"
  | "permission_denied"
  | "serialization_failure"
  | "not_found"
  | "invalid_input"
  | "timeout";

export class DatabaseError extends Error {
  override readonly name = "DatabaseError";
  constructor(
    readonly kind: DatabaseErrorKind,
    message: string,
    // The constraint (or Prisma target) the database named, for callers that map it to a field.
    readonly constraint: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const kindBySqlState: Record<string, DatabaseErrorKind> = {
  "23505": "unique_violation",
  "23503": "foreign_key_violation",
  "23001": "foreign_key_violation",
  "23514": "check_violation",
  "23502": "not_null_violation",
  "42501": "permission_denied",
  "40001": "serialization_failure",
  "40P01": "serialization_failure",
  "22P02": "invalid_input",
  "22003": "invalid_input",
  "22001": "invalid_input",
  "22007": "invalid_input",
  "22008": "invalid_input",
  "57014": "timeout",
};

const kindByPrismaCode: Record<string, DatabaseErrorKind> = {
  P2002: "unique_violation",
  P2003: "foreign_key_violation",
  P2011: "not_null_violation",
  P2025: "not_found",
  P2034: "serialization_failure",
  P2000: "invalid_input",
  P2023: "invalid_input",
  P2024: "timeout",
  P2028: "timeout",
};

const messages: Record<DatabaseErrorKind, string> = {
  unique_violation: "A record with the same unique value already exists.",
  foreign_key_violation: "The record refers to something that does not exist, or is still referred to.",
  check_violation: "A value breaks a rule of the data model.",
  not_null_violation: "A required value is missing.",
  permission_denied: "Not allowed in this workspace.",
  serialization_failure: "The record changed at the same time; try again.",
  not_found: "The record does not exist.",
  invalid_input: "A value has the wrong format.",
  timeout: "The database took too long to answer.",
};

interface Fields {
  code?: unknown;
  constraint?: unknown;
  meta?: unknown;
  cause?: unknown;
}

function fieldsOf(value: unknown): Fields | undefined {
  return typeof value === "object" && value !== null ? (value) : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

// Prisma with a driver adapter reports the PostgreSQL error inside meta.driverAdapterError.cause.
function sqlStateOf(error: Fields): { state?: string; constraint?: string } {
  const meta = fieldsOf(error.meta);
  const adapterCause = fieldsOf(fieldsOf(fieldsOf(meta)?.["driverAdapterError" as keyof Fields])?.cause);
  const state = asString(adapterCause?.["originalCode" as keyof Fields]) ?? asString(error.code);
  const constraintField = fieldsOf(adapterCause?.constraint);
  const constraint =
    asString(error.constraint) ??
    asString(adapterCause?.constraint) ??
    asString(constraintField?.["index" as keyof Fields]) ??
    asString(fieldsOf(meta)?.["target" as keyof Fields]);
  return { state, constraint };
}

/** Maps any error thrown by pg or Prisma to a DatabaseError, or returns undefined when it is not one. */
export function toDatabaseError(error: unknown): DatabaseError | undefined {
  if (error instanceof DatabaseError) return error;
  const fields = fieldsOf(error);
  if (!fields) return undefined;
  const { state, constraint } = sqlStateOf(fields);
  const code = asString(fields.code);
  const kind = (state && kindBySqlState[state]) ?? (code && kindByPrismaCode[code]);
  if (!kind) return undefined;
  return new DatabaseError(kind, messages[kind], constraint, { cause: error });
}

/** Rethrows database errors as DatabaseError, anything else as it is. */
export function rethrowAsDatabaseError(error: unknown): never {
  throw toDatabaseError(error) ?? error;
}
