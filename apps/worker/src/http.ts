import { Hono } from "hono";
import { createDemoRoutes } from "./demo/routes.ts";
import type { WorkerMetrics } from "./metrics.ts";

// /healthz (the process can reach its database and is not stopping), /metrics (Prometheus) and,
// in development, /demo/* (the built-in demo source the seeded integrations sync from).

export function createHttpApp(options: {
  metrics: WorkerMetrics;
  ready: () => Promise<boolean>;
  /** Serve the demo source (development: WORKER_DEMO_SOURCE=1). */
  demo?: boolean;
}): Hono {
  const app = new Hono();
  if (options.demo) app.route("/demo", createDemoRoutes());
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
