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
  readonly kind: DatabaseErrorKind;
  // The constraint (or Prisma target) the database named, for callers that map it to a field.
  readonly constraint: string | undefined;
  override readonly name = "DatabaseError";
  constructor(kind: DatabaseErrorKind, message: string, constraint: string | undefined, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.constraint = constraint;
  }
}

const kindBySqlState = new Map<string, DatabaseErrorKind>(
  Object.entries({
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
    // A NUL character in text (22021) or in JSON (22P05): PostgreSQL stores neither.
    "22021": "invalid_input",
    "22P05": "invalid_input",
    "57014": "timeout",
  }),
);

const kindByPrismaCode = new Map<string, DatabaseErrorKind>(
  Object.entries({
    P2002: "unique_violation",
    P2003: "foreign_key_violation",
    P2011: "not_null_violation",
    P2025: "not_found",
    P2034: "serialization_failure",
    P2000: "invalid_input",
    P2023: "invalid_input",
    P2024: "timeout",
    P2028: "timeout",
  }),
);

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

type Bag = Record<string, unknown>;

function bag(value: unknown): Bag | undefined {
  return typeof value === "object" && value !== null ? (value as Bag) : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

// The PostgreSQL error behind whatever wrapper carries it: pg's own error (code), Prisma's
// DriverAdapterError (cause.originalCode) or PrismaClientKnownRequestError
// (meta.driverAdapterError.cause.originalCode).
function postgresCauseOf(error: Bag): Bag {
  return bag(bag(bag(error.meta)?.driverAdapterError)?.cause) ?? bag(error.cause) ?? error;
}

/** Maps any error thrown by pg or Prisma to a DatabaseError, or returns undefined when it is not one. */
export function toDatabaseError(error: unknown): DatabaseError | undefined {
  if (error instanceof DatabaseError) return error;
  const outer = bag(error);
  if (!outer) return undefined;
  const cause = postgresCauseOf(outer);
  const sqlState = text(cause.originalCode) ?? text(cause.code);
  const prismaCode = text(outer.code);
  const kind = (sqlState && kindBySqlState.get(sqlState)) || (prismaCode && kindByPrismaCode.get(prismaCode));
  if (!kind) return undefined;
  const constraint = text(cause.constraint) ?? text(bag(cause.constraint)?.index);
  return new DatabaseError(kind, messages[kind], constraint, { cause: error });
}

/** Rethrows database errors as DatabaseError, anything else as it is. */
export function rethrowAsDatabaseError(error: unknown): never {
  throw toDatabaseError(error) ?? error;
}

// A connection the server or the network ended (SQLSTATE class 08, or 57P01-57P03: terminated by an
// administrator, a crash or a restart) or a socket error: the statement never ran, so it may be sent
// again on another connection.
const lostConnectionSocketCodes: ReadonlySet<string> = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT"]);

const lostConnectionCode = (code: string | undefined): boolean =>
  code !== undefined && (code.startsWith("08") || /^57P0[123]$/.test(code) || lostConnectionSocketCodes.has(code));

/**
 * Whether the error says the connection was lost (not that the statement failed). The code may
 * sit on any error of the chain: the client's own "lost during the transaction" (08006) around
 * Prisma's error, which carries a code of its own (P2010) around the driver's (57P01), and so on.
 */
export function isConnectionLost(error: unknown): boolean {
  let current = bag(error);
  for (let depth = 0; current && depth < 8; depth += 1) {
    const driver = bag(bag(bag(current.meta)?.driverAdapterError)?.cause);
    if ([current.originalCode, current.code, driver?.originalCode].some((code) => lostConnectionCode(text(code))))
      return true;
    current = bag(current.cause);
  }
  return false;
}

/**
 * An error as a log line may carry it: its message and code only. pg's errors hold their client
 * (connection settings, type tables), and pg-boss re-emits plain objects, which String() would
 * turn into "[object Object]".
 */
export function errorSummary(error: unknown): { message: string; code: string | undefined } {
  const found = bag(error);
  const message = found && typeof found.message === "string" ? found.message : String(error);
  const code =
    found && (typeof found.code === "string" || typeof found.code === "number") ? String(found.code) : undefined;
  return { message, code };
}
