import type { ServerType } from "@hono/node-server";
import type { Logger } from "pino";

// An orderly stop: refuse new connections, let in-flight requests finish (cutting them after
// `drainMs`), then close what the requests were using, in order.

export interface ShutdownOptions {
  server: ServerType;
  logger: Logger;
  /** Closed in order once the server has drained (the database pool, then the embedded server). */
  resources: { name: string; close: () => Promise<void> }[];
  /** How long in-flight requests get (default 10 s). */
  drainMs?: number;
}

export function createShutdown(options: ShutdownOptions): (reason: string) => Promise<void> {
  const drainMs = options.drainMs ?? 10_000;
  let stopping: Promise<void> | undefined;

  async function stop(reason: string): Promise<void> {
    const { server, logger } = options;
    logger.info({ reason }, "shutting down: no new connections, finishing in-flight requests");
    const drained = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    // close() ends the connections idle right now; a keep-alive connection whose response is
    // still being written turns idle later and would linger until its keep-alive timeout.
    const sweep = setInterval(() => {
      if ("closeIdleConnections" in server) server.closeIdleConnections();
    }, 50);
    const force = setTimeout(() => {
      logger.warn({ drainMs }, "in-flight requests did not finish in time; closing their connections");
      if ("closeAllConnections" in server) server.closeAllConnections();
    }, drainMs);
    await drained;
    clearInterval(sweep);
    clearTimeout(force);
    for (const resource of options.resources) {
      try {
        await resource.close();
      } catch (error) {
        logger.error({ err: error, resource: resource.name }, "closing failed");
      }
    }
    logger.info("stopped");
  }

  // Signals may come twice (Ctrl-C, then turbo's SIGTERM): one shutdown.
  return (reason) => (stopping ??= stop(reason));
}
