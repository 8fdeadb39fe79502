import { DatabaseError } from "@northstar/db";

// Why a sync failed, in words a user can act on. Messages are built from fixed text and numbers
// only (never a URL, header or body a provider sent back, which may echo a secret); the worker
// still scrubs every known credential value from them before they are stored or logged.

export type SyncErrorCode =
  | "provider_auth"
  | "provider_rate_limited"
  | "provider_unavailable"
  | "provider_bad_response"
  | "provider_not_found"
  | "timeout"
  | "credentials_unreadable"
  | "config_invalid"
  | "write_failed"
  | "internal";

export class SyncError extends Error {
  readonly code: SyncErrorCode;
  /** The provider's own word on when to come back (Retry-After, rate-limit reset). */
  readonly retryAfterMs: number | null;
  override readonly name = "SyncError";
  constructor(code: SyncErrorCode, message: string, retryAfterMs: number | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }

  /** Authentication failures wait for a user to fix the credentials; retrying cannot help. */
  get disables(): boolean {
    return this.code === "provider_auth" || this.code === "credentials_unreadable" || this.code === "config_invalid";
  }
}

/** `message` with every occurrence of each secret (of 4+ characters) replaced by ••••. */
export function scrub(message: string, secrets: Iterable<string>): string {
  let clean = message;
  for (const secret of secrets) {
    if (secret.length >= 4) clean = clean.split(secret).join("••••");
  }
  return clean.slice(0, 1000);
}

/** Database refusals that retrying cannot fix (a constraint, a policy): the write itself is wrong. */
const refusedWrites = new Set([
  "foreign_key_violation",
  "check_violation",
  "not_null_violation",
  "permission_denied",
  "invalid_input",
  "unique_violation",
]);

/** Any error as a SyncError: aborts become timeouts, the unknown an internal error with a fixed message. */
export function toSyncError(error: unknown): SyncError {
  if (error instanceof SyncError) return error;
  if (error instanceof DatabaseError && refusedWrites.has(error.kind)) {
    return new SyncError(
      "write_failed",
      `The database refused the sync's points (${error.kind.replaceAll("_", " ")}).`,
      null,
      { cause: error },
    );
  }
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new SyncError("timeout", "The sync took too long and was stopped.", null, { cause: error });
  }
  return new SyncError("internal", "The sync failed unexpectedly; it will be retried.", null, { cause: error });
}
