import { createDatabase } from "@northstar/db";
import { pino } from "pino";
import { readWorkerEnv } from "./env.ts";
import { createConnectors } from "./providers/index.ts";
import { startWorker } from "./worker.ts";

// The worker process: settings, database, the engine, and an orderly stop on SIGTERM/SIGINT
// (running syncs finish or are released; no job is lost). Several may run at once.

const env = readWorkerEnv();
// Credentials never reach a log line; these paths are the ones a careless call could carry them in.
const logger = pino({
  level: env.logLevel,
  base: { service: "northstar-worker", pid: process.pid },
  redact: {
    paths: ["credentials", "*.credentials", "headers.authorization", "*.headers.authorization", "apiKey", "token"],
    censor: "[redacted]",
  },
});
if (!env.database) throw new Error("WORKER_DATABASE_URL is required (pnpm dev supplies its development login's)");

const database = createDatabase({
  ...env.database,
  transactionTimeoutMs: 60_000,
  onIdleConnectionError: (error) => {
    logger.warn({ error: error.message }, "an idle database connection failed");
  },
});

// The signal handlers are in place before the worker starts: a SIGTERM while it starts (after it
// has logged "worker started", say) still stops it in order instead of killing the process.
const started = startWorker({
  database,
  queueUrl: env.database.url,
  keyring: env.keyring,
  connectors: createConnectors(env.endpoints),
  logger,
  sync: env.sync,
  concurrency: env.concurrency,
  providerConcurrency: env.providerConcurrency,
  workspaceConcurrency: env.workspaceConcurrency,
  heartbeatSeconds: env.heartbeatSeconds,
  dispatchCron: env.dispatchCron,
  resealCron: env.resealCron,
  pointPartitions: env.pointPartitions,
  http: env.http,
});

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    started
      .then((worker) => worker.stop(env.shutdownSeconds * 1000))
      .then(() => database.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ error: error instanceof Error ? error.message : String(error) }, "shutdown failed");
          process.exit(1);
        },
      );
  });
}

await started;
