import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { type Database, errorSummary, type Keyring, maintainPointPartitions } from "@northstar/db";
import {
  createQueueClient,
  ensureQueues,
  queueNames,
  sendSync,
  type SyncJob,
  syncJobSchema,
} from "@northstar/db/queue";
import type { Job, PgBoss } from "pg-boss";
import type { Logger } from "pino";
import { dispatchDue } from "./dispatcher.ts";
import type { PointPartitionSchedule, SyncSettings } from "./env.ts";
import { createHttpApp } from "./http.ts";
import { createMetrics, type WorkerMetrics } from "./metrics.ts";
import type { Connector } from "./providers/connector.ts";
import { createNetwork } from "./providers/network.ts";
import { resealCredentials } from "./reseal.ts";
import { ProviderLimiter } from "./sync/limiter.ts";
import { runSync, type SyncDependencies, type SyncOutcome } from "./sync/run.ts";

// The worker process's engine: pg-boss on the queue role, four queues (sync, dispatch, reseal,
// point partitions), the HTTP endpoints, and an orderly stop. main.ts builds it from the env; tests build it directly.

export interface WorkerOptions {
  database: Database;
  /** The login pg-boss connects with (it takes the queue role itself). */
  queueUrl: string;
  keyring: Keyring;
  connectors: ReadonlyMap<string, Connector>;
  logger: Logger;
  sync: SyncSettings;
  concurrency: number;
  providerConcurrency: number;
  workspaceConcurrency: number;
  heartbeatSeconds: number;
  dispatchCron: string;
  resealCron: string;
  /** The partitions of kpi_data_points: maintained at start and on this schedule. */
  pointPartitions: PointPartitionSchedule;
  /** /metrics and /healthz (and /demo/* with `demo`); null: none (tests that do not need them). */
  http: { port: number; host: string; demo?: boolean } | null;
  /** Polling interval of the queues in seconds (pg-boss's minimum is 0.5). */
  pollingIntervalSeconds?: number;
  random?: () => number;
}

export interface RunningWorker {
  boss: PgBoss;
  metrics: WorkerMetrics;
  /** http://host:port of /metrics and /healthz, when served. */
  httpUrl: string | null;
  /** Runs the dispatcher's tick now (the cron job does the same every minute). */
  dispatch(): Promise<{ due: number; enqueued: number }>;
  /** Sync outcomes as they happen (tests and the benchmark watch them). */
  onOutcome(listener: (job: SyncJob, outcome: SyncOutcome) => void): void;
  /** Stops taking jobs, lets running ones finish for up to `timeoutMs`, releases the rest. */
  stop(timeoutMs?: number): Promise<void>;
}

async function queueDepth(boss: PgBoss, set: (queue: string, state: string, value: number) => void): Promise<void> {
  for (const queue of await boss.getQueues([
    queueNames.sync,
    queueNames.dispatch,
    queueNames.reseal,
    queueNames.pointPartitions,
  ])) {
    set(queue.name, "ready", queue.readyCount);
    set(queue.name, "deferred", queue.deferredCount);
    set(queue.name, "active", queue.activeCount);
    set(queue.name, "failed", queue.failedCount);
  }
}

/** Starts the queues' workers; resolves once the start-up dispatch has queued whatever was due. */
export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { database, logger } = options;
  const boss = createQueueClient({
    url: options.queueUrl,
    supervise: true,
    poolSize: Math.min(20, options.concurrency + 4),
    applicationName: "northstar-worker",
    superviseIntervalSeconds: options.heartbeatSeconds,
  });
  // Only the message and code: the errors pg-boss re-emits carry pg's client (its settings and all), or are plain objects.
  boss.on("error", (error: unknown) => {
    logger.error(errorSummary(error), "job queue error");
  });
  const metrics = createMetrics((set) => queueDepth(boss, set));
  const limiter = new ProviderLimiter(options.providerConcurrency);
  const listeners: Array<(job: SyncJob, outcome: SyncOutcome) => void> = [];
  const inFlight = new Set<Promise<unknown>>();
  let stopping = false;

  const deps: SyncDependencies = {
    database,
    keyring: options.keyring,
    connectors: options.connectors,
    network: createNetwork({ allowPrivate: options.sync.allowPrivateNetwork }),
    settings: options.sync,
    limiter,
    logger,
    metrics,
    ...(options.random ? { random: options.random } : {}),
  };

  async function followUp(job: SyncJob, outcome: SyncOutcome): Promise<void> {
    // A precise retry for a failure, or for a lease another worker still holds; the dispatcher
    // would find the integration due anyway, within a minute of the same time.
    const retryAt = outcome.kind === "failed" || outcome.kind === "busy" ? outcome.retryAt : null;
    if (retryAt && !stopping)
      await sendSync(
        boss,
        { workspaceId: job.workspaceId, integrationId: job.integrationId, reason: "retry" },
        { startAfter: retryAt },
      );
  }

  async function handleSync(job: Job<unknown>): Promise<void> {
    const parsed = syncJobSchema.safeParse(job.data);
    if (!parsed.success) {
      logger.error({ jobId: job.id }, "a sync job with an invalid payload was dropped");
      return;
    }
    const data = parsed.data;
    const jobLogger = logger.child({
      jobId: job.id,
      workspaceId: data.workspaceId,
      integrationId: data.integrationId,
      reason: data.reason,
    });
    const outcome = await runSync({ ...deps, logger: jobLogger }, data, job.signal);
    if (outcome.kind === "busy" || outcome.kind === "skipped")
      jobLogger.debug({ outcome: outcome.kind }, "sync not run");
    for (const listener of listeners) listener(data, outcome);
    await followUp(data, outcome).catch((error: unknown) => {
      jobLogger.warn(errorSummary(error), "could not queue the retry; the dispatcher will");
    });
  }

  function tracked<T>(work: Promise<T>): Promise<T> {
    inFlight.add(work);
    return work.finally(() => inFlight.delete(work));
  }

  await boss.start();
  await ensureQueues(boss, {
    heartbeatSeconds: options.heartbeatSeconds,
    expireInSeconds: options.sync.runTimeoutSeconds + 60,
  });
  // Listening before any sync runs: the demo source (development) must answer the first syncs.
  let server: ServerType | null = null;
  let httpUrl: string | null = null;
  if (options.http) {
    const app = createHttpApp({
      metrics,
      ready: async () => !stopping && (await database.ping().then(() => true)),
      demo: options.http.demo ?? false,
    });
    const { port, host } = options.http;
    server = await new Promise<ServerType>((resolve) => {
      const started = serve({ fetch: app.fetch, port, hostname: host }, () => {
        resolve(started);
      });
    });
    const address = server.address() as AddressInfo;
    httpUrl = `http://${address.address.includes(":") ? `[${address.address}]` : address.address}:${address.port}`;
  }
  const pollingIntervalSeconds = options.pollingIntervalSeconds ?? 0.5;
  // One job per fetch, one poller per slot, and a poller that comes back at once while its fetches
  // come back full: pg-boss otherwise waits out the polling interval between jobs (its other burst
  // trigger reads a cached ready count, refreshed once a supervise pass). A poller waits for its
  // whole batch, so batches of two let one workspace's held syncs block every poller (its cap of
  // two, one in each batch) and starve the other tenants: a poller holds one job at a time.
  const batchSize = 1;
  const pollers = options.concurrency;
  await boss.work(
    queueNames.sync,
    {
      batchSize,
      localConcurrency: pollers,
      // Per-workspace fairness: at most N of one workspace's syncs in this process, so its other
      // slots stay free for other tenants (pg-boss skips groups at capacity when fetching). Exact
      // here; pg-boss's global groupConcurrency counts active jobs without a lock, and concurrent
      // fetches overshoot it (measured: 4 of a cap of 2).
      localGroupConcurrency: Math.min(options.workspaceConcurrency, pollers),
      pollingIntervalSeconds,
      burstWhenBatchFull: true,
      burstWhenReadyExceeds: 1,
    },
    async (jobs) => {
      await Promise.all(jobs.map((job) => tracked(handleSync(job))));
    },
  );
  await boss.work(queueNames.dispatch, { pollingIntervalSeconds }, async () => {
    const result = await tracked(dispatchDue(database, boss));
    logger.info(result, "dispatched due integrations");
  });
  await boss.work(queueNames.reseal, { pollingIntervalSeconds: 10 }, async ([job]) => {
    const result = await tracked(resealCredentials(database, options.keyring, logger, job?.signal));
    if (result.resealed + result.unreadable > 0) logger.info(result, "re-sealed credentials under the current key");
  });
  async function maintainPartitions(): Promise<void> {
    const result = await maintainPointPartitions(database, options.pointPartitions, { transactionTimeoutMs: 600_000 });
    // Counts only; the retention window says why months went.
    logger.info({ ...result, retentionMonths: options.pointPartitions.retentionMonths }, "maintained point partitions");
  }
  await boss.work(queueNames.pointPartitions, { pollingIntervalSeconds: 10 }, () => tracked(maintainPartitions()));
  await boss.schedule(queueNames.dispatch, options.dispatchCron, null, { tz: "UTC" });
  await boss.schedule(queueNames.reseal, options.resealCron, null, { tz: "UTC" });
  await boss.schedule(queueNames.pointPartitions, options.pointPartitions.cron, null, { tz: "UTC" });
  // A worker that starts does both once at once, rather than waiting for the clock. The dispatch
  // runs here, before startWorker resolves, so whatever was due is queued by then and anything
  // created afterwards waits for a tick (a sent dispatch job ran at a moment nobody could order
  // against). Several workers starting together are safe: queued jobs absorb duplicates.
  try {
    logger.info(await dispatchDue(database, boss), "dispatched due integrations at start-up");
  } catch (error) {
    logger.error(errorSummary(error), "the start-up dispatch failed; the next tick will send what is due");
  }
  await boss.send(queueNames.reseal, {});
  // The months ahead exist before the first point of a new month arrives, whatever the clock.
  try {
    await maintainPartitions();
  } catch (error) {
    logger.error(errorSummary(error), "the start-up partition maintenance failed; the daily job will retry");
  }

  logger.info({ concurrency: options.concurrency, http: httpUrl }, "worker started");

  return {
    boss,
    metrics,
    httpUrl,
    dispatch: () => dispatchDue(database, boss),
    onOutcome(listener) {
      listeners.push(listener);
    },
    async stop(timeoutMs = 30_000) {
      if (stopping) return;
      stopping = true;
      logger.info({ running: inFlight.size, timeoutMs }, "stopping: finishing running jobs");
      // Graceful: no new jobs; running ones get `timeoutMs`, then pg-boss fails them (so they are
      // retried) and aborts their signals, and each run releases its integration.
      await boss.stop({ graceful: true, timeout: timeoutMs });
      await Promise.allSettled([...inFlight]);
      if (server) {
        const closing = server;
        await new Promise<void>((resolve) =>
          closing.close(() => {
            resolve();
          }),
        );
      }
      logger.info("worker stopped");
    },
  };
}
