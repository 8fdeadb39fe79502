import type { Logger } from "pino";

/** What the host's middleware puts on every request for the handlers after it. */
export interface HostBindings {
  Variables: {
    requestId: string;
    /** The request's logger: carries the request id. */
    log: Logger;
    /** The client's address (X-Forwarded-For's first hop only when the proxy is trusted). */
    clientIp: string;
  };
}
