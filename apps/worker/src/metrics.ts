import { Counter, Gauge, Histogram, Registry } from "prom-client";

// What /metrics exposes (Prometheus text format). One registry per worker, so tests and several
// workers in one process never share counters.

export interface WorkerMetrics {
  registry: Registry;
  runs: Counter<"provider" | "outcome">;
  failures: Counter<"provider" | "code">;
  pointsWritten: Counter<"provider">;
  runDuration: Histogram<"provider" | "outcome">;
  queueDepth: Gauge<"queue" | "state">;
}

export function createMetrics(
  collectQueueDepth: (set: (queue: string, state: string, value: number) => void) => Promise<void>,
): WorkerMetrics {
  const registry = new Registry();
  return {
    registry,
    runs: new Counter({
      name: "northstar_sync_runs_total",
      help: "Sync runs by provider and outcome",
      labelNames: ["provider", "outcome"],
      registers: [registry],
    }),
    failures: new Counter({
      name: "northstar_sync_failures_total",
      help: "Failed sync runs by provider and error code",
      labelNames: ["provider", "code"],
      registers: [registry],
    }),
    pointsWritten: new Counter({
      name: "northstar_sync_points_written_total",
      help: "Data points inserted or changed by syncs",
      labelNames: ["provider"],
      registers: [registry],
    }),
    runDuration: new Histogram({
      name: "northstar_sync_run_duration_seconds",
      help: "Duration of sync runs (claim to release)",
      labelNames: ["provider", "outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "northstar_queue_jobs",
      help: "Jobs in the worker's queues by state (pg-boss's counts, refreshed at most every few seconds)",
      labelNames: ["queue", "state"],
      registers: [registry],
      async collect() {
        await collectQueueDepth((queue, state, value) => {
          this.set({ queue, state }, value);
        });
      },
    }),
  };
}
