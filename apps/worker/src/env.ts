import { type Environment, httpUrl, logLevel, nodeEnv, parseSettings, port } from "@northstar/core/settings";
import {
  createKeyring,
  databaseOptionsFromEnv,
  type DatabaseOptions,
  defaultMonthsAhead,
  type Keyring,
  legacyKeysSchema,
  type PointPartitionSettings,
  privateKeysSchema,
} from "@northstar/db";
import { z } from "zod";
import type { ConnectorEndpoints } from "./providers/index.ts";

// The worker's settings, validated once at startup. Nothing else in the worker reads process.env:
// main.ts calls readWorkerEnv() and hands the pieces to startWorker(); scripts/dev.ts takes the
// development environment from here.

const retentionError = "NORTHSTAR_POINTS_RETENTION_MONTHS must be a whole number of months (1 to 1200), or unset";

const seconds = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const workerEnvSchema = z
  .object({
    NODE_ENV: nodeEnv,
    LOG_LEVEL: logLevel,
    /** Where /metrics and /healthz listen; 0 picks a free port. */
    WORKER_HTTP_PORT: port.default(9464),
    WORKER_HTTP_HOST: z.string().min(1).default("127.0.0.1"),
    /** Sync jobs this process runs at once. */
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
    /**
     * Of those, at most this many against one provider (their rate limits are per account, but
     * shared hosts matter).
     */
    WORKER_PROVIDER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(4),
    /** Sync jobs of one workspace running at once in this process (P processes: at most P x N). */
    WORKER_WORKSPACE_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
    /** How long a claimed integration stays leased without renewal (renewed every third of it while running). */
    WORKER_LEASE_SECONDS: seconds(15, 3_600).default(300),
    /** The longest one sync may run; then it is aborted and recorded as failed. */
    WORKER_RUN_TIMEOUT_SECONDS: seconds(5, 3_600).default(600),
    /** pg-boss retries a job whose worker stopped heartbeating for this long (pg-boss's minimum is 10). */
    WORKER_HEARTBEAT_SECONDS: seconds(10, 600).default(30),
    /** Each run fetches from its cursor minus this much, so points sharing the cursor's instant are not missed. */
    WORKER_OVERLAP_SECONDS: seconds(0, 7 * 86_400).default(300),
    /** How far back a first sync reaches. */
    WORKER_BACKFILL_DAYS: z.coerce.number().int().min(1).max(3_650).default(90),
    /** First retry delay after a failure; doubled per consecutive failure, with jitter. */
    WORKER_RETRY_BASE_SECONDS: seconds(1, 86_400).default(60),
    WORKER_RETRY_MAX_SECONDS: seconds(1, 7 * 86_400).default(6 * 3_600),
    /** After this many consecutive failures an integration is disabled until a user re-enables it. */
    WORKER_MAX_CONSECUTIVE_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
    /** Sync runs kept per integration. */
    WORKER_RUN_HISTORY: z.coerce.number().int().min(1).max(10_000).default(100),
    /** Timeout of one HTTP request to a provider. */
    WORKER_HTTP_TIMEOUT_SECONDS: seconds(1, 600).default(30),
    // Integrations may fetch from private and local addresses: for development against local
    // servers only. Off, the worker reaches public addresses only (see providers/network.ts).
    WORKER_ALLOW_PRIVATE_NETWORK: z
      .enum(["0", "1"], { error: "WORKER_ALLOW_PRIVATE_NETWORK must be 0 or 1" })
      .default("0")
      .transform((value) => value === "1"),
    // Serve the built-in demo source at /demo/* beside /metrics (development: the seeded
    // integrations sync from it). Off by default.
    WORKER_DEMO_SOURCE: z
      .enum(["0", "1"], { error: "WORKER_DEMO_SOURCE must be 0 or 1" })
      .default("0")
      .transform((value) => value === "1"),
    /** On SIGTERM, how long running syncs may take to finish before they are released. */
    WORKER_SHUTDOWN_SECONDS: seconds(1, 3_600).default(25),
    /** The dispatcher's schedule (pg-boss cron, UTC). */
    WORKER_DISPATCH_CRON: z.string().min(9).default("* * * * *"),
    WORKER_RESEAL_CRON: z.string().min(9).default("17 * * * *"),
    /** The daily maintenance of kpi_data_points' monthly partitions (also run at start). */
    WORKER_POINT_PARTITIONS_CRON: z.string().min(9).default("41 2 * * *"),
    /** Monthly partitions kept created ahead of the current month. */
    WORKER_POINT_PARTITIONS_AHEAD_MONTHS: z.coerce.number().int().min(0).max(120).default(defaultMonthsAhead),
    // Whole months of data points kept before the current month: older months are dropped with
    // their rollups by the daily maintenance. Unset (or empty): every point is kept.
    NORTHSTAR_POINTS_RETENTION_MONTHS: z.preprocess(
      (value) => (value === "" ? undefined : value),
      z.coerce.number().int().min(1).max(1_200, { error: retentionError }).optional(),
    ),
    /** The providers' API roots (overridden to reach a local server in tests). */
    WORKER_GITHUB_API_URL: httpUrl.default("https://api.github.com"),
    WORKER_STRIPE_API_URL: httpUrl.default("https://api.stripe.com"),
    // The private keys that open integration credentials (keyId:base64, the first current; the web
    // host gets the public halves). `pnpm --filter @northstar/db credentials:keygen` makes a pair.
    NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: z
      .string({
        error:
          "NORTHSTAR_CREDENTIALS_PRIVATE_KEYS is required: the worker opens integration credentials " +
          "(pnpm --filter @northstar/db credentials:keygen makes a key pair)",
      })
      .pipe(privateKeysSchema),
    // The symmetric keys of before the sealed box: only to open rows sealed with them until the
    // re-seal job has moved them to the current public key; then remove.
    NORTHSTAR_CREDENTIALS_KEYS: legacyKeysSchema.optional(),
  })
  .refine((env) => env.WORKER_RETRY_MAX_SECONDS >= env.WORKER_RETRY_BASE_SECONDS, {
    error: "WORKER_RETRY_MAX_SECONDS must be at least WORKER_RETRY_BASE_SECONDS",
    path: ["WORKER_RETRY_MAX_SECONDS"],
  });

export interface SyncSettings {
  leaseSeconds: number;
  runTimeoutSeconds: number;
  overlapSeconds: number;
  backfillDays: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  maxConsecutiveFailures: number;
  runHistory: number;
  httpTimeoutSeconds: number;
  /** Let connectors reach private and local addresses (development and tests); off: public internet only. */
  allowPrivateNetwork: boolean;
}

/** When and how the worker maintains kpi_data_points' partitions. */
export interface PointPartitionSchedule extends PointPartitionSettings {
  /** pg-boss cron, UTC. */
  cron: string;
}

export interface WorkerEnv {
  production: boolean;
  logLevel: z.infer<typeof workerEnvSchema>["LOG_LEVEL"];
  http: { port: number; host: string; demo: boolean };
  concurrency: number;
  providerConcurrency: number;
  workspaceConcurrency: number;
  heartbeatSeconds: number;
  shutdownSeconds: number;
  dispatchCron: string;
  resealCron: string;
  pointPartitions: PointPartitionSchedule;
  sync: SyncSettings;
  endpoints: ConnectorEndpoints;
  /**
   * The worker's own login (WORKER_DATABASE_URL: northstar_worker and northstar_queue only); null
   * when unset (main.ts refuses to start; the dev script supplies its development login).
   */
  database: DatabaseOptions | null;
  keyring: Keyring;
}

export function parseWorkerEnv(source: Environment): WorkerEnv {
  const env = parseSettings(workerEnvSchema, source, "worker");
  return {
    production: env.NODE_ENV === "production",
    logLevel: env.LOG_LEVEL,
    http: { port: env.WORKER_HTTP_PORT, host: env.WORKER_HTTP_HOST, demo: env.WORKER_DEMO_SOURCE },
    concurrency: env.WORKER_CONCURRENCY,
    providerConcurrency: env.WORKER_PROVIDER_CONCURRENCY,
    workspaceConcurrency: env.WORKER_WORKSPACE_CONCURRENCY,
    heartbeatSeconds: env.WORKER_HEARTBEAT_SECONDS,
    shutdownSeconds: env.WORKER_SHUTDOWN_SECONDS,
    dispatchCron: env.WORKER_DISPATCH_CRON,
    resealCron: env.WORKER_RESEAL_CRON,
    pointPartitions: {
      cron: env.WORKER_POINT_PARTITIONS_CRON,
      monthsAhead: env.WORKER_POINT_PARTITIONS_AHEAD_MONTHS,
      retentionMonths: env.NORTHSTAR_POINTS_RETENTION_MONTHS ?? null,
    },
    sync: {
      leaseSeconds: env.WORKER_LEASE_SECONDS,
      runTimeoutSeconds: env.WORKER_RUN_TIMEOUT_SECONDS,
      overlapSeconds: env.WORKER_OVERLAP_SECONDS,
      backfillDays: env.WORKER_BACKFILL_DAYS,
      retryBaseSeconds: env.WORKER_RETRY_BASE_SECONDS,
      retryMaxSeconds: env.WORKER_RETRY_MAX_SECONDS,
      maxConsecutiveFailures: env.WORKER_MAX_CONSECUTIVE_FAILURES,
      runHistory: env.WORKER_RUN_HISTORY,
      httpTimeoutSeconds: env.WORKER_HTTP_TIMEOUT_SECONDS,
      allowPrivateNetwork: env.WORKER_ALLOW_PRIVATE_NETWORK,
    },
    endpoints: { githubApiUrl: env.WORKER_GITHUB_API_URL, stripeApiUrl: env.WORKER_STRIPE_API_URL },
    database: source.WORKER_DATABASE_URL ? databaseOptionsFromEnv(source, "worker") : null,
    keyring: createKeyring(env.NORTHSTAR_CREDENTIALS_PRIVATE_KEYS, env.NORTHSTAR_CREDENTIALS_KEYS),
  };
}

/** The process's settings; main.ts's one read of process.env. */
export function readWorkerEnv(): WorkerEnv {
  return parseWorkerEnv(process.env);
}

/**
 * The fixed, public development key pair's private half: apps/web's dev script seals to its public
 * half (`dev-box:MCowBQYDK2VuAyEAx9inGF7rhOGsvQL1YfWKzionzZvOpSFZZCLsWdTxtV8=`). Not a secret.
 */
export const developmentPrivateKey = "dev-box:MC4CAQAwBQYDK2VuBCIEIHBcIvj1rcpVrpLB/1yYLH/BhJGjPWg9EsDwzohWRkV4";
/** The development symmetric key of before the sealed box: development rows sealed with it still open (and are re-sealed). */
const developmentLegacyKey = "dev:ZGV2ZWxvcG1lbnQta2V5LW5vdC1hLXNlY3JldC0zMmI";

/**
 * The environment `pnpm dev` runs the worker in: this process's, on the development database
 * through the worker's development login, with the development private key (apps/web's dev script seals to its public half, so the worker opens
 * what the host sealed), integrations allowed to reach servers on this machine (production:
 * public addresses only; the seeded integrations read the demo source on 127.0.0.1) and the demo
 * source served.
 */
export function developmentEnvironment(workerDatabaseUrl: string, env: Environment = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    WORKER_DATABASE_URL: workerDatabaseUrl,
    NORTHSTAR_CREDENTIALS_PRIVATE_KEYS: env.NORTHSTAR_CREDENTIALS_PRIVATE_KEYS ?? developmentPrivateKey,
    NORTHSTAR_CREDENTIALS_KEYS: env.NORTHSTAR_CREDENTIALS_KEYS ?? developmentLegacyKey,
    WORKER_ALLOW_PRIVATE_NETWORK: env.WORKER_ALLOW_PRIVATE_NETWORK ?? "1",
    WORKER_DEMO_SOURCE: env.WORKER_DEMO_SOURCE ?? "1",
  };
}
