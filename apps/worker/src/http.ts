import { Hono } from "hono";
import type { WorkerMetrics } from "./metrics.ts";

// /healthz (the process can reach its database and is not stopping) and /metrics (Prometheus).

export function createHttpApp(options: { metrics: WorkerMetrics; ready: () => Promise<boolean> }): Hono {
  const app = new Hono();
  app.get("/healthz", async (c) => {
    const ready = await options.ready().catch(() => false);
    return c.json({ status: ready ? "ok" : "unavailable" }, ready ? 200 : 503);
  });
  app.get("/metrics", async (c) => {
    const body = await options.metrics.registry.metrics();
    return c.body(body, 200, { "content-type": options.metrics.registry.contentType });
  });
  return app;
}
