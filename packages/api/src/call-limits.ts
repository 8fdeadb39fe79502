import { TRPCError } from "@trpc/server";

// What the API asks of the host before a call runs, so that no one caller can take the database
// pool from everyone else: each call (not each HTTP request: a batch runs every call in it) is
// charged to its caller's budget, and holds one of the caller's few in-flight slots while it
// runs. The API says who calls and what kind of call it is; the host keeps the buckets and sets
// the numbers (apps/web/server/call-limits.ts), as it wires Jobs to the queue.

/** The budgets a call may be charged to. */
export type CallBudget =
  /** Reads, per signed-in user. */
  | "query"
  /** Writes, per signed-in user. */
  | "mutation"
  /** Calls without a live session, per client address. */
  | "anonymous"
  /** Questions whose answer says whether something outside the caller's reach exists (a workspace slug), per user and per address. */
  | "existence";

export type CallDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** One of a caller's in-flight slots; release it when the call ends, however it ends. */
export interface CallSlot {
  release(): void;
}

export interface CallLimits {
  /** Takes one call's token from `key`'s budget, or says how long until one is back. */
  charge(budget: CallBudget, key: string): CallDecision;
  /**
   * One of `key`'s in-flight slots: at once, or after the caller's earlier calls end (waiting
   * holds no connection); null when too many of its calls already run and wait, or `signal` ends
   * the wait.
   */
  enter(key: string, signal?: AbortSignal): Promise<CallSlot | null>;
}

/** The cause of a TOO_MANY_REQUESTS refusal: when to try again (the host's Retry-After). */
export class CallsRefused extends Error {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(`refused; retry after ${retryAfterSeconds} s`);
    this.retryAfterSeconds = retryAfterSeconds;
    this.name = "CallsRefused";
  }
}

export function tooManyCalls(message: string, retryAfterSeconds: number): TRPCError {
  return new TRPCError({ code: "TOO_MANY_REQUESTS", message, cause: new CallsRefused(retryAfterSeconds) });
}

/** The Retry-After a response carrying these errors needs (the longest wait), or null. */
export function retryAfterSeconds(errors: readonly TRPCError[]): number | null {
  const waits = errors.map((error) => (error.cause instanceof CallsRefused ? error.cause.retryAfterSeconds : 0));
  const longest = Math.max(0, ...waits);
  return longest > 0 ? longest : null;
}

/** Keys for the budgets: a user, or (without a live session) the client's address. */
export const callerKey = {
  user: (userId: string) => `user:${userId}`,
  address: (ip: string | null) => `address:${ip ?? "unknown"}`,
};
