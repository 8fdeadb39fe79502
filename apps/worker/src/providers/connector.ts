import type { ProviderId } from "@northstar/core/providers";
import type { Network } from "./network.ts";

// What a provider's connector is: given its credentials and config (already validated against the
// provider's zod schemas in @northstar/core/provider-schemas) and a window, it fetches points per
// metric key.

export interface DataPoint {
  /** One of the provider's metric keys (providers[id].metrics). */
  metric: string;
  timestamp: Date;
  value: number;
}

export interface FetchRequest {
  credentials: Record<string, string | undefined>;
  config: Record<string, string | undefined>;
  /**
   * The origin the credentials were sealed for and opened with (providers whose URL an admin edits;
   * see credentialsBinding): they are sent nowhere else. Null: the provider's target is fixed.
   */
  credentialsOrigin: string | null;
  /** Fetch points at or after this instant (the cursor minus the overlap window, or the backfill start). */
  since: Date;
  now: Date;
  signal: AbortSignal;
  timeoutMs: number;
  /** Where the connector may connect (see network.ts). */
  network: Network;
}

export interface Connector {
  id: ProviderId;
  /**
   * Extra overlap a connector needs beyond the worker's: a per-day metric recomputes the day its
   * cursor falls in, so it reaches back one day.
   */
  overlapSeconds: number;
  fetch(request: FetchRequest): Promise<DataPoint[]>;
}

/** A snapshot value (stars now, MRR now) is one point per hour: a re-run within the hour overwrites it. */
export function snapshotTime(now: Date): Date {
  const hour = new Date(now);
  hour.setUTCMinutes(0, 0, 0);
  return hour;
}

export function startOfUtcDay(instant: Date): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
}

/** A finite number from a provider's value, else null (strings holding numbers are accepted). */
export function finiteNumber(value: unknown): number | null {
  const number =
    typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  return Number.isFinite(number) ? number : null;
}

/** A timestamp from ISO text or epoch seconds/milliseconds, else null. */
export function parseTimestamp(value: unknown): Date | null {
  if (typeof value === "number" && Number.isFinite(value)) return new Date(value < 1e12 ? value * 1000 : value);
  if (typeof value !== "string" || value.trim() === "") return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return parseTimestamp(Number(trimmed));
  const parsed = Date.parse(trimmed);
  return Number.isNaN(parsed) ? null : new Date(parsed);
}
