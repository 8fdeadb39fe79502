import { isIP } from "node:net";
import type { Logger } from "pino";

/** What the host's middleware puts on every request for the handlers after it. */
export interface HostBindings {
  Variables: {
    requestId: string;
    /** The request's logger: carries the request id. */
    log: Logger;
    /** The client's address: the socket's, or X-Forwarded-For's entry that the trusted proxies wrote. */
    clientIp: string;
    /** tRPC requests: seconds to wait when the host is too busy to take this one (overload.ts), else null. */
    overloaded: number | null;
  };
}

/**
 * The client's address as far as the host can trust it. With no trusted proxy (hops 0) it is the
 * socket's: X-Forwarded-For is the client's to invent. Each proxy appends the address it was
 * reached from, so with `hops` proxies in front only the `hops`-th entry from the right was written
 * by one of ours; everything left of it may be the client's own. A header with fewer entries did
 * not pass through all of them, and gets the socket's address.
 */
export function clientAddressFrom(forwardedFor: string | undefined, socketAddress: string, hops: number): string {
  if (hops < 1 || !forwardedFor) return socketAddress;
  const entries = forwardedFor
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  const entry = entries.at(-hops);
  return entries.length >= hops && entry !== undefined && isIP(entry) !== 0 ? entry : socketAddress;
}
