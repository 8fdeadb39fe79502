import type { MiddlewareHandler } from "hono";
import { InFlightLimiter } from "./in-flight.ts";
import type { HostBindings } from "./request.ts";

// A bound on the tRPC requests the whole host works on at once. The per-user limits
// (call-limits.ts) keep one person from taking the database pool, but many people at once would
// still pile up in front of the pool, wait its connection timeout and fail. Past `running`,
// requests wait in one line (holding no connection) up to `waiting` of them; beyond that the host
// answers at once with 503 and Retry-After, and it recovers by itself as the line drains.

export interface OverloadLimit {
  /** tRPC requests (a batch is one) worked on at once. */
  running: number;
  /** Requests that may wait for a running one to end; more are refused at once. */
  waiting: number;
  /** What a refusal tells the client to wait before trying again. */
  retryAfterSeconds: number;
}

// Running: about two requests per pooled connection (each call of a batch holds one at a time, and
// spends part of its time outside the database). Waiting: a few seconds' work at most.
export const defaultOverloadLimit = {
  running: 20,
  waiting: 100,
  retryAfterSeconds: 1,
} satisfies OverloadLimit;

/** Every request shares one line: the host, not a caller, is what is full. */
const everyone = "host";

/**
 * Admits each request through one host-wide InFlightLimiter; a request refused is still handed on,
 * with `overloaded` set to the seconds to wait, so that tRPC answers it in its own shape (the
 * route's createContext refuses it before any call runs).
 */
export function overloadBound(limit: OverloadLimit): MiddlewareHandler<HostBindings> {
  if (!Number.isInteger(limit.retryAfterSeconds) || limit.retryAfterSeconds < 1)
    throw new RangeError("an overload bound's retryAfterSeconds must be a whole number of at least 1");
  const limiter = new InFlightLimiter(limit);
  // A burst brings thousands of refusals: one log line a second says how many, not one each.
  let refused = 0;
  let loggedAt = Number.NEGATIVE_INFINITY;
  return async (c, next) => {
    // A client that hangs up while waiting leaves the line.
    const slot = await limiter.enter(everyone, c.req.raw.signal);
    if (!slot) {
      c.set("overloaded", limit.retryAfterSeconds);
      refused += 1;
      const now = Date.now();
      if (now - loggedAt >= 1_000) {
        c.var.log.warn({ refused, running: limit.running, waiting: limit.waiting }, "host busy: requests refused");
        refused = 0;
        loggedAt = now;
      }
      await next();
      return;
    }
    c.set("overloaded", null);
    try {
      await next();
    } finally {
      slot.release();
    }
  };
}
