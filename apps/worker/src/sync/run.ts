import { randomUUID } from "node:crypto";
import { credentialsBinding, type Database, type Keyring, open, type Prisma } from "@northstar/db";
import { providerIdSchema, providers } from "@northstar/core/provider-schemas";
import type { SyncJob } from "@northstar/db/queue";
import type { Logger } from "pino";
import type { SyncSettings } from "../env.ts";
import type { WorkerMetrics } from "../metrics.ts";
import type { Connector, DataPoint } from "../providers/connector.ts";
import type { Network } from "../providers/network.ts";
import { retryDelaySeconds } from "./backoff.ts";
import { scrub, SyncError, toSyncError } from "./errors.ts";
import type { ProviderLimiter } from "./limiter.ts";
import * as store from "./store.ts";

// One sync of one integration: claim the lease (SYNCING), open the credentials in memory (bound to
// the row and to the origin of the URL its config now names), fetch outside any transaction, then
// write the points, the cursor and last_synced_at in one transaction that first checks the lease
// is still ours. Failures are recorded with a backoff.

export interface SyncDependencies {
  database: Database;
  keyring: Keyring;
  connectors: ReadonlyMap<string, Connector>;
  /** Where connectors may connect (public addresses only unless settings.allowPrivateNetwork). */
  network: Network;
  settings: SyncSettings;
  limiter: ProviderLimiter;
  logger: Logger;
  metrics: WorkerMetrics;
  random?: () => number;
}

export type SyncOutcome =
  | { kind: "succeeded"; runId: string; pointsFetched: number; pointsWritten: number }
  | { kind: "failed"; runId: string; code: string; status: string; retryAt: Date | null }
  /** Another worker holds a live lease; try again once it has expired. */
  | { kind: "busy"; retryAt: Date }
  /** Disabled, waiting on credentials, or gone (deleted, or not in that workspace). */
  | { kind: "skipped" }
  /** Stopped by shutdown or expiry before writing: released, due again now. */
  | { kind: "released"; runId: string }
  /** The lease was lost mid-run (it expired and another worker took it): nothing was written. */
  | { kind: "lost"; runId: string };

interface SyncCursor {
  /** The newest point's timestamp fetched so far (ISO). */
  latest: string;
}

class LeaseLost extends Error {
  override readonly name = "LeaseLost";
}

function cursorTime(cursor: unknown): Date | null {
  if (typeof cursor !== "object" || cursor === null || !("latest" in cursor) || typeof cursor.latest !== "string")
    return null;
  const time = Date.parse(cursor.latest);
  return Number.isNaN(time) ? null : new Date(time);
}

/** Points of mapped metrics only, one per (kpi, timestamp): a provider repeating one wins last. */
function rowsFor(points: readonly DataPoint[], targets: readonly store.MetricTarget[]): store.PointRow[] {
  const kpiOf = new Map(targets.map((target) => [target.metricKey, target.kpiId]));
  const rows = new Map<string, store.PointRow>();
  for (const point of points) {
    const kpiId = kpiOf.get(point.metric);
    if (!kpiId || !Number.isFinite(point.value) || Number.isNaN(point.timestamp.getTime())) continue;
    rows.set(`${kpiId}|${point.timestamp.toISOString()}`, { kpiId, timestamp: point.timestamp, value: point.value });
  }
  return [...rows.values()];
}

function parsed<T>(
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } },
  value: unknown,
  message: string,
): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new SyncError("config_invalid", message);
  return result.data;
}

export async function runSync(deps: SyncDependencies, job: SyncJob, signal: AbortSignal): Promise<SyncOutcome> {
  const { database, settings } = deps;
  const { workspaceId, integrationId } = job;
  const token = randomUUID();
  const started = performance.now();

  const claim = await database.withWorkerContext(workspaceId, async (tx) => {
    const claimed = await store.claimLease(tx, workspaceId, integrationId, token, settings.leaseSeconds);
    return claimed
      ? ({ claimed, holder: null } as const)
      : ({ claimed: null, holder: await store.leaseHolder(tx, workspaceId, integrationId) } as const);
  });
  if (!claim.claimed) {
    const expiry = claim.holder?.leaseExpiresAt;
    if (claim.holder?.runnable && expiry && expiry.getTime() > Date.now())
      return { kind: "busy", retryAt: new Date(expiry.getTime() + 1_000) };
    return { kind: "skipped" };
  }
  const claimed = claim.claimed;
  const { runId, targets } = claimed;
  const logger = deps.logger.child({ runId, provider: claimed.provider });
  const ids = { workspaceId, integrationId, runId, token };
  const secrets: string[] = [];
  const providerLabel = claimed.provider;
  logger.info({ reason: job.reason, mappedMetrics: targets.length }, "sync started");

  // Renewed every third of the lease while the run lives; a renewal that finds the lease gone
  // aborts the run, which then writes nothing.
  const leaseLost = new AbortController();
  const renewal = setInterval(
    () => {
      database
        .withWorkerContext(workspaceId, (tx) =>
          store.renewLease(tx, workspaceId, integrationId, token, settings.leaseSeconds),
        )
        .then((held) => {
          if (!held) leaseLost.abort(new LeaseLost("the lease expired and was taken"));
        })
        .catch((error: unknown) => {
          logger.warn(
            { error: error instanceof Error ? error.message : String(error) },
            "could not renew the lease; retrying at the next renewal",
          );
        });
    },
    (settings.leaseSeconds * 1000) / 3,
  );
  const deadline = AbortSignal.timeout(settings.runTimeoutSeconds * 1000);
  const runSignal = AbortSignal.any([signal, deadline, leaseLost.signal]);

  const observe = (outcome: string) => {
    deps.metrics.runs.inc({ provider: providerLabel, outcome });
    deps.metrics.runDuration.observe({ provider: providerLabel, outcome }, (performance.now() - started) / 1000);
  };

  try {
    const providerId = parsed(
      providerIdSchema,
      claimed.provider,
      `The provider "${claimed.provider}" is no longer supported.`,
    );
    const connector = deps.connectors.get(providerId);
    if (!connector)
      throw new SyncError("config_invalid", `No connector is registered for the provider "${providerId}".`);
    const definition = providers[providerId];
    if (!claimed.credentials || !claimed.credentialsKeyId)
      throw new SyncError("credentials_unreadable", "The integration has no stored credentials; connect it again.");
    const config = parsed(
      definition.config,
      claimed.config,
      "The integration's settings are no longer valid for its provider; update them.",
    );
    // Opened for the config as it is now: credentials sealed for another origin than its URL's do
    // not open, so they are never sent there.
    const binding = credentialsBinding(workspaceId, integrationId, providerId, config);
    let opened: unknown;
    try {
      opened = open(deps.keyring, { ciphertext: claimed.credentials, keyId: claimed.credentialsKeyId }, binding);
    } catch (error) {
      throw new SyncError(
        "credentials_unreadable",
        binding.origin === null
          ? "The stored credentials cannot be opened (unknown key or tampered); enter them again."
          : "The stored credentials cannot be opened for this URL: they were entered for another address " +
              "(or are tampered, or under an unknown key); enter them again.",
        null,
        { cause: error },
      );
    }
    const credentials = parsed(
      definition.credentials,
      opened,
      "The stored credentials no longer match what the provider needs; enter them again.",
    );
    for (const value of Object.values(credentials)) if (typeof value === "string") secrets.push(value);

    const now = new Date();
    const cursor = cursorTime(claimed.syncCursor);
    const overlapMs = Math.max(settings.overlapSeconds, connector.overlapSeconds) * 1000;
    const since = cursor
      ? new Date(cursor.getTime() - overlapMs)
      : new Date(now.getTime() - settings.backfillDays * 86_400_000);

    const points = await deps.limiter.run(providerId, runSignal, () =>
      connector.fetch({
        credentials,
        credentialsOrigin: binding.origin,
        config,
        since,
        now,
        signal: runSignal,
        timeoutMs: settings.httpTimeoutSeconds * 1000,
        network: deps.network,
      }),
    );
    const rows = rowsFor(points, targets);
    // Never ahead of now: a provider's clock (or a bad row) must not push the window past new data.
    const newest = points.reduce<number>(
      (latest, point) => Math.max(latest, Math.min(point.timestamp.getTime(), now.getTime())),
      cursor?.getTime() ?? 0,
    );
    const nextCursor: Prisma.InputJsonValue | null =
      newest > 0 ? ({ latest: new Date(newest).toISOString() } satisfies SyncCursor) : null;

    runSignal.throwIfAborted();
    const written = await database.withWorkerContext(workspaceId, async (tx) => {
      if (!(await store.holdsLease(tx, workspaceId, integrationId, token)))
        throw new LeaseLost("the lease was taken before the write");
      const count = await store.upsertPoints(tx, workspaceId, integrationId, rows);
      await store.finishSucceeded(tx, ids, { cursor: nextCursor, pointsWritten: count, keep: settings.runHistory });
      return count;
    });
    deps.metrics.pointsWritten.inc({ provider: providerLabel }, written);
    observe("succeeded");
    logger.info({ pointsFetched: points.length, pointsMapped: rows.length, pointsWritten: written }, "sync succeeded");
    return { kind: "succeeded", runId, pointsFetched: points.length, pointsWritten: written };
  } catch (error) {
    if (error instanceof LeaseLost || leaseLost.signal.aborted) {
      observe("lost");
      logger.warn("the lease was lost mid-run; nothing was written");
      return { kind: "lost", runId };
    }
    if (signal.aborted) {
      // Shutdown or job expiry: not the integration's fault. Released and due now.
      await database.withWorkerContext(workspaceId, async (tx) => {
        await store.finishFailed(tx, ids, {
          code: "interrupted",
          message: "The worker stopped before the sync finished; it will run again.",
          retryInSeconds: 0,
          authFailed: false,
          counts: false,
          maxConsecutiveFailures: settings.maxConsecutiveFailures,
        });
      });
      observe("released");
      logger.info("sync interrupted; released for another run");
      return { kind: "released", runId };
    }
    const failure = toSyncError(error);
    const message = scrub(failure.message, secrets);
    const failures = claimed.consecutiveFailures + 1;
    const delay = retryDelaySeconds(failures, settings, failure.retryAfterMs, deps.random);
    const left = await database.withWorkerContext(workspaceId, async (tx) => {
      const status = await store.finishFailed(tx, ids, {
        code: failure.code,
        message,
        retryInSeconds: delay,
        authFailed: failure.code === "provider_auth",
        counts: true,
        maxConsecutiveFailures: failure.disables ? 1 : settings.maxConsecutiveFailures,
      });
      await store.pruneRuns(tx, workspaceId, integrationId, settings.runHistory);
      return status;
    });
    const status = left?.status ?? "FAILED";
    deps.metrics.failures.inc({ provider: providerLabel, code: failure.code });
    observe("failed");
    // The cause may carry a provider's words (or a URL); only its class name is logged.
    logger.warn(
      {
        code: failure.code,
        error: message,
        cause: failure.cause instanceof Error ? failure.cause.name : undefined,
        status,
        retryInSeconds: delay,
        consecutiveFailures: failures,
      },
      "sync failed",
    );
    return {
      kind: "failed",
      runId,
      code: failure.code,
      status,
      retryAt: status === "DISABLED" ? null : new Date(Date.now() + delay * 1000),
    };
  } finally {
    clearInterval(renewal);
  }
}
