import { createConnectors } from "../providers/index.ts";
import type { WorkerOptions } from "../worker.ts";
import { testSyncSettings } from "./sync-settings.ts";

// The worker options every test that runs a worker in-process starts from (the worker's own tests,
// the host's and the browser tests): small concurrency, crons that never fire during a test (ticks
// run explicitly with dispatch(), and once at start-up), no HTTP, and providers on closed ports
// unless a test points them at its own servers.

type Required = Pick<WorkerOptions, "database" | "queueUrl" | "keyring" | "logger">;

export function testWorkerOptions(required: Required & Partial<WorkerOptions>): WorkerOptions {
  return {
    connectors: createConnectors({ githubApiUrl: "http://127.0.0.1:9", stripeApiUrl: "http://127.0.0.1:9" }),
    sync: testSyncSettings,
    concurrency: 4,
    providerConcurrency: 4,
    workspaceConcurrency: 2,
    heartbeatSeconds: 10,
    dispatchCron: "0 0 1 1 *",
    resealCron: "0 0 1 1 *",
    pointPartitions: { cron: "0 0 1 1 *", monthsAhead: 3, retentionMonths: null },
    http: null,
    pollingIntervalSeconds: 0.5,
    ...required,
  };
}
