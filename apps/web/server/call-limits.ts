import type { CallBudget, CallLimits } from "@northstar/api";
import { type InFlightLimit, InFlightLimiter } from "./in-flight.ts";
import { type RateLimit, RateLimiter } from "./rate-limit.ts";

// The host's side of the API's CallLimits: a token bucket per budget and caller, and a per-caller
// in-flight limit, all in this process's memory (see rate-limit.ts on running several instances).

export interface CallLimitSettings {
  /** Reads per signed-in user, one token per call. */
  queries: RateLimit;
  /** Writes per signed-in user, one token per call. */
  mutations: RateLimit;
  /** Calls without a live session, per client address. */
  anonymous: RateLimit;
  /** Questions that tell whether a workspace exists, per user and per address (like sign-in). */
  existenceChecks: RateLimit;
  /** Calls of one user at once, and waiting. */
  inFlight: InFlightLimit;
}

export const defaultCallLimits = {
  // Generous: a page load is a batch or two of reads, and refetches on focus.
  queries: { burst: 300, perSecond: 10 },
  mutations: { burst: 60, perSecond: 2 },
  anonymous: { burst: 60, perSecond: 1 },
  existenceChecks: { burst: 10, perSecond: 10 / 60 },
  // A few of the pool's connections (10 by default) at most, and two full batches waiting.
  inFlight: { running: 4, waiting: 40 },
} satisfies CallLimitSettings;

export function hostCallLimits(settings: CallLimitSettings): CallLimits {
  const buckets: Record<CallBudget, RateLimiter> = {
    query: new RateLimiter(settings.queries),
    mutation: new RateLimiter(settings.mutations),
    anonymous: new RateLimiter(settings.anonymous),
    existence: new RateLimiter(settings.existenceChecks),
  };
  const inFlight = new InFlightLimiter(settings.inFlight);
  return {
    charge: (budget, key) => buckets[budget].take(key),
    enter: (key, signal) => inFlight.enter(key, signal),
  };
}
