// The integration worker's job queue, shared by the worker (which works it) and the web host
// (which sends "sync now"): queue names, job payloads, and how a PgBoss connects.
//
// pg-boss keeps its tables in schema `pgboss`, owned by the NOLOGIN role northstar_queue (see
// migration 20261125000600_integration_sync). Its connections take that role at startup
// (`options=-c role=northstar_queue`), so the login needs neither superuser nor ownership, only
// membership in northstar_queue; nothing pg-boss runs can touch the application's tables.
import { PgBoss, type Queue } from "pg-boss";
import { z } from "zod";

export const queueRole = "northstar_queue";
export const queueSchema = "pgboss";

export const queueNames = {
  /** One sync of one integration; singletonKey = integration id. */
  sync: "integration-sync",
  /** The dispatcher's tick: enqueue the integrations whose next sync is due. */
  dispatch: "integration-dispatch",
  /** Re-seal credentials sealed under an old key. */
  reseal: "credentials-reseal",
  /** kpi_data_points' monthly partitions: create ahead, empty the default partition, retention. */
  pointPartitions: "point-partitions",
} as const;

export const syncReasons = ["scheduled", "requested", "retry", "released"] as const;

export const syncJobSchema = z.object({
  workspaceId: z.uuid(),
  integrationId: z.uuid(),
  reason: z.enum(syncReasons),
});
export type SyncJob = z.infer<typeof syncJobSchema>;

/** Tunables of the sync queue; the worker passes its env's, a sender the defaults. */
export interface SyncQueueOptions {
  /** A job whose worker stops heartbeating this long is retried elsewhere (pg-boss minimum 10). */
  heartbeatSeconds: number;
  /** The longest a sync job may stay active. */
  expireInSeconds: number;
}

export const defaultSyncQueueOptions: SyncQueueOptions = { heartbeatSeconds: 10, expireInSeconds: 900 };

/**
 * The queues' definitions. `stately` with singletonKey = integration id: at most one job per
 * integration queued and one active, across every worker process. Failures of a sync itself are
 * recorded on the integration and rescheduled by the worker (with backoff, jitter and Retry-After);
 * pg-boss's own retries only cover a job whose worker died or whose handler threw unexpectedly.
 */
export function queueDefinitions(options: SyncQueueOptions = defaultSyncQueueOptions): Array<Queue & { name: string }> {
  return [
    {
      name: queueNames.sync,
      policy: "stately",
      retryLimit: 5,
      retryDelay: 5,
      retryBackoff: true,
      retryDelayMax: 300,
      heartbeatSeconds: options.heartbeatSeconds,
      expireInSeconds: options.expireInSeconds,
      deleteAfterSeconds: 86_400,
    },
    { name: queueNames.dispatch, policy: "singleton", retryLimit: 0, expireInSeconds: 120, deleteAfterSeconds: 3_600 },
    {
      name: queueNames.reseal,
      policy: "singleton",
      retryLimit: 2,
      retryDelay: 60,
      expireInSeconds: 3_600,
      deleteAfterSeconds: 86_400,
    },
    {
      name: queueNames.pointPartitions,
      policy: "singleton",
      retryLimit: 2,
      retryDelay: 300,
      expireInSeconds: 3_600,
      deleteAfterSeconds: 86_400,
    },
  ];
}

/** The URL a PgBoss connects with: the given login, taking the queue role at connection startup. */
export function queueConnectionUrl(url: string): string {
  const next = new URL(url);
  next.searchParams.set("options", `-c role=${queueRole}`);
  return next.toString();
}

export interface QueueClientOptions {
  url: string;
  /** Connections in pg-boss's pool. */
  poolSize?: number;
  /** Runs pg-boss's maintenance and cron (the worker); a sender leaves it to the workers. */
  supervise?: boolean;
  applicationName?: string;
  /**
   * How often a supervising instance expires jobs and fails those whose worker stopped
   * heartbeating (pg-boss's default is 60 s; a dead worker's job waits at most this much longer).
   */
  superviseIntervalSeconds?: number;
}

/** A PgBoss on the queue role. Call start() (it installs or migrates pg-boss's tables), then ensureQueues(). */
export function createQueueClient(options: QueueClientOptions): PgBoss {
  const supervise = options.supervise ?? false;
  return new PgBoss({
    connectionString: queueConnectionUrl(options.url),
    schema: queueSchema,
    // The schema exists (the migration made it, owned by the queue role); the role may not create schemas.
    createSchema: false,
    migrate: true,
    max: options.poolSize ?? 4,
    application_name: options.applicationName ?? "northstar-queue",
    supervise,
    schedule: supervise,
    superviseIntervalSeconds: options.superviseIntervalSeconds ?? 60,
    monitorIntervalSeconds: options.superviseIntervalSeconds ?? 60,
    persistWarnings: false,
  });
}

/**
 * Creates the queues that are missing. With `options` (the worker's settings), existing queues are
 * also brought to them: a sender (the web host) that started first created them with the defaults,
 * and createQueue leaves an existing queue as it is.
 */
export async function ensureQueues(boss: PgBoss, options?: SyncQueueOptions): Promise<void> {
  for (const { name, policy, ...settings } of queueDefinitions(options)) {
    await boss.createQueue(name, { policy, ...settings });
    if (options) await boss.updateQueue(name, settings);
  }
}

/** Sends one sync of an integration; one already queued for it absorbs this one (returns null then). */
export function sendSync(boss: PgBoss, job: SyncJob, options: { startAfter?: Date } = {}): Promise<string | null> {
  const data = syncJobSchema.parse(job);
  return boss.send(queueNames.sync, data, {
    singletonKey: data.integrationId,
    // Per-workspace fairness: the worker caps how many jobs of one workspace run at once.
    group: { id: data.workspaceId },
    ...(options.startAfter ? { startAfter: options.startAfter } : {}),
  });
}
