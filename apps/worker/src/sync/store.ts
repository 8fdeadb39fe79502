import { Prisma, queryRows, type ScopedDb, sql } from "@northstar/db";

// The sync's SQL, each function one statement or one short sequence inside the caller's
// transaction (Database.withWorkerContext: northstar_worker, the integration's workspace, RLS on).

export interface ClaimedIntegration {
  provider: string;
  config: unknown;
  credentials: Uint8Array | null;
  credentialsKeyId: string | null;
  syncCursor: unknown;
  consecutiveFailures: number;
}

export interface MetricTarget {
  metricKey: string;
  kpiId: string;
}

export interface Claim extends ClaimedIntegration {
  runId: string;
  targets: MetricTarget[];
}

/**
 * Claims the lease, in one statement: only when nobody holds a live one, the integration is not
 * disabled and is not waiting on new credentials. With the claim, runs a dead worker left RUNNING
 * are closed as interrupted, a run is opened in the history, and the metric targets are read.
 * Null when the claim lost. The row lock it takes also orders it after an API transaction that is
 * still marking the row.
 *
 * Targets are only mappings whose KPI is active and visible in the context workspace: a mapping
 * tampered to point elsewhere joins no KPI here (and the composite foreign key and the worker's
 * RLS policy would refuse the write anyway).
 */
export async function claimLease(
  tx: ScopedDb,
  workspaceId: string,
  integrationId: string,
  token: string,
  leaseSeconds: number,
): Promise<Claim | null> {
  const rows = await queryRows(
    tx,
    sql<Claim>`
    WITH claimed AS (
      UPDATE integrations
         SET sync_status = 'SYNCING', lease_token = ${token}::uuid,
             lease_expires_at = now() + make_interval(secs => ${leaseSeconds}),
             sync_started_at = now(), last_attempt_at = now(), updated_at = now()
       WHERE workspace_id = ${workspaceId}::uuid AND id = ${integrationId}::uuid
         AND sync_status <> 'DISABLED' AND auth_failed_at IS NULL
         AND (lease_expires_at IS NULL OR lease_expires_at <= now())
      RETURNING provider, config, credentials, credentials_key_id, sync_cursor, consecutive_failures
    ), interrupted AS (
      UPDATE sync_runs SET status = 'FAILED', finished_at = now(), error_code = 'interrupted',
             error_message = 'The worker running this sync stopped before it finished.'
       WHERE workspace_id = ${workspaceId}::uuid AND integration_id = ${integrationId}::uuid AND status = 'RUNNING'
         AND EXISTS (SELECT FROM claimed)
    ), opened AS (
      INSERT INTO sync_runs (workspace_id, integration_id)
      SELECT ${workspaceId}::uuid, ${integrationId}::uuid FROM claimed
      RETURNING id
    )
    SELECT c.provider, c.config, c.credentials, c.credentials_key_id AS "credentialsKeyId",
           c.sync_cursor AS "syncCursor", c.consecutive_failures AS "consecutiveFailures",
           (SELECT id FROM opened) AS "runId",
           (SELECT COALESCE(json_agg(json_build_object('metricKey', m.metric_key, 'kpiId', m.kpi_id)), '[]'::json)
              FROM integration_metrics AS m
              JOIN kpis AS k ON k.workspace_id = m.workspace_id AND k.id = m.kpi_id AND k.is_active
             WHERE m.workspace_id = ${workspaceId}::uuid AND m.integration_id = ${integrationId}::uuid) AS targets
      FROM claimed AS c`,
  );
  return rows[0] ?? null;
}

/** Why a claim lost: the live lease's expiry, or that the integration is not runnable (or not there). */
export async function leaseHolder(
  tx: ScopedDb,
  workspaceId: string,
  integrationId: string,
): Promise<{ leaseExpiresAt: Date | null; runnable: boolean } | null> {
  const rows = await queryRows(
    tx,
    sql<{ leaseExpiresAt: Date | null; runnable: boolean }>`
    SELECT lease_expires_at AS "leaseExpiresAt", (sync_status <> 'DISABLED' AND auth_failed_at IS NULL) AS runnable
      FROM integrations WHERE workspace_id = ${workspaceId}::uuid AND id = ${integrationId}::uuid`,
  );
  return rows[0] ?? null;
}

/** Extends a lease this worker still holds; false when it was lost. */
export async function renewLease(
  tx: ScopedDb,
  workspaceId: string,
  integrationId: string,
  token: string,
  leaseSeconds: number,
): Promise<boolean> {
  const renewed = await tx.$executeRaw`
    UPDATE integrations SET lease_expires_at = now() + make_interval(secs => ${leaseSeconds})
     WHERE workspace_id = ${workspaceId}::uuid AND id = ${integrationId}::uuid AND lease_token = ${token}::uuid`;
  return renewed === 1;
}

/** Locks the row and checks the lease is still ours: the write is refused when it is not. */
export async function holdsLease(
  tx: ScopedDb,
  workspaceId: string,
  integrationId: string,
  token: string,
): Promise<boolean> {
  const rows = await queryRows(
    tx,
    sql<{ held: boolean }>`
    SELECT true AS held FROM integrations
     WHERE workspace_id = ${workspaceId}::uuid AND id = ${integrationId}::uuid AND lease_token = ${token}::uuid
     FOR UPDATE`,
  );
  return rows.length === 1;
}

export interface PointRow {
  kpiId: string;
  timestamp: Date;
  value: number;
}

const upsertChunk = 5_000;

/**
 * Batched idempotent upsert: one statement per 5,000 points, unique per (workspace, kpi,
 * timestamp, source). An unchanged point is not rewritten. Returns the points inserted or changed.
 */
export async function upsertPoints(
  tx: ScopedDb,
  workspaceId: string,
  integrationId: string,
  points: readonly PointRow[],
): Promise<number> {
  let written = 0;
  // Nothing to write (a sync that found nothing new) costs no statement.
  for (let start = 0; start < points.length; start += upsertChunk) {
    const chunk = points.slice(start, start + upsertChunk);
    written += await tx.$executeRaw`
      INSERT INTO kpi_data_points AS p (workspace_id, kpi_id, value, "timestamp", source, integration_id)
      SELECT ${workspaceId}::uuid, r.kpi_id, r.value, r.ts, 'INTEGRATION', ${integrationId}::uuid
        FROM unnest(${chunk.map((point) => point.kpiId)}::uuid[], ${chunk.map((point) => point.value)}::float8[],
                    ${chunk.map((point) => point.timestamp.toISOString())}::timestamptz[]) AS r(kpi_id, value, ts)
      ON CONFLICT (workspace_id, kpi_id, "timestamp", source) DO UPDATE
        SET value = excluded.value, integration_id = excluded.integration_id
        WHERE p.value IS DISTINCT FROM excluded.value OR p.integration_id IS DISTINCT FROM excluded.integration_id`;
  }
  return written;
}

/**
 * Success: cursor, last_synced_at and the next due time with the points, the lease released. A
 * user who disabled the integration or changed its interval meanwhile keeps their word.
 */
export async function finishSucceeded(
  tx: ScopedDb,
  ids: { workspaceId: string; integrationId: string; runId: string },
  result: { cursor: Prisma.InputJsonValue | null; pointsWritten: number; keep: number },
): Promise<void> {
  const cursor = result.cursor === null ? null : JSON.stringify(result.cursor);
  // One statement: the integration, its run, and the history pruned to the newest `keep` runs
  // (the run being closed is the newest, so it stays).
  await tx.$executeRaw`
    WITH integration AS (
      UPDATE integrations
         SET sync_status = CASE WHEN sync_status = 'DISABLED' THEN sync_status ELSE 'SUCCEEDED' END,
             sync_cursor = COALESCE(${cursor}::jsonb, sync_cursor), last_synced_at = now(),
             next_sync_at = now() + make_interval(secs => sync_interval_seconds),
             consecutive_failures = 0, last_error_code = NULL, last_error_message = NULL, last_error_at = NULL,
             lease_token = NULL, lease_expires_at = NULL, sync_started_at = NULL, updated_at = now()
       WHERE workspace_id = ${ids.workspaceId}::uuid AND id = ${ids.integrationId}::uuid
    ), run AS (
      UPDATE sync_runs SET status = 'SUCCEEDED', finished_at = now(), points_written = ${result.pointsWritten}
       WHERE workspace_id = ${ids.workspaceId}::uuid AND id = ${ids.runId}::uuid
    )
    DELETE FROM sync_runs
     WHERE workspace_id = ${ids.workspaceId}::uuid AND integration_id = ${ids.integrationId}::uuid
       AND id NOT IN (
         SELECT id FROM sync_runs
          WHERE workspace_id = ${ids.workspaceId}::uuid AND integration_id = ${ids.integrationId}::uuid
          ORDER BY started_at DESC, id DESC LIMIT ${result.keep})`;
}

export interface FailureRecord {
  code: string;
  message: string;
  retryInSeconds: number;
  authFailed: boolean;
  /** Counts toward the consecutive failures (an interrupted run does not). */
  counts: boolean;
  maxConsecutiveFailures: number;
}

/**
 * Failure: counted, recorded, rescheduled; DISABLED on an auth failure or after N in a row. An
 * interrupted run (shutdown) is released as QUEUED and due now. Returns the status it left.
 */
export async function finishFailed(
  tx: ScopedDb,
  ids: { workspaceId: string; integrationId: string; runId: string; token: string },
  failure: FailureRecord,
): Promise<{ status: string; consecutiveFailures: number } | null> {
  const rows = await queryRows(
    tx,
    sql<{ status: string; consecutiveFailures: number }>`
    UPDATE integrations
       SET consecutive_failures = consecutive_failures + ${failure.counts ? 1 : 0},
           sync_status = CASE
             WHEN sync_status = 'DISABLED' THEN sync_status
             WHEN NOT ${failure.counts} THEN 'QUEUED'
             WHEN ${failure.authFailed} OR consecutive_failures + 1 >= ${failure.maxConsecutiveFailures} THEN 'DISABLED'
             ELSE 'FAILED' END::"SyncStatus",
           last_error_code = CASE WHEN ${failure.counts} THEN ${failure.code} ELSE last_error_code END,
           last_error_message = CASE WHEN ${failure.counts} THEN ${failure.message} ELSE last_error_message END,
           last_error_at = CASE WHEN ${failure.counts} THEN now() ELSE last_error_at END,
           auth_failed_at = CASE WHEN ${failure.authFailed} THEN now() ELSE auth_failed_at END,
           next_sync_at = now() + make_interval(secs => ${failure.retryInSeconds}),
           lease_token = NULL, lease_expires_at = NULL, sync_started_at = NULL, updated_at = now()
     WHERE workspace_id = ${ids.workspaceId}::uuid AND id = ${ids.integrationId}::uuid
       AND lease_token = ${ids.token}::uuid
    RETURNING sync_status::text AS status, consecutive_failures AS "consecutiveFailures"`,
  );
  await tx.$executeRaw`
    UPDATE sync_runs
       SET status = 'FAILED', finished_at = now(), error_code = ${failure.code}, error_message = ${failure.message}
     WHERE workspace_id = ${ids.workspaceId}::uuid AND id = ${ids.runId}::uuid`;
  return rows[0] ?? null;
}

/** Keeps the newest `keep` runs of the integration. */
export async function pruneRuns(tx: ScopedDb, workspaceId: string, integrationId: string, keep: number): Promise<void> {
  await tx.$executeRaw`
    DELETE FROM sync_runs
     WHERE workspace_id = ${workspaceId}::uuid AND integration_id = ${integrationId}::uuid
       AND id NOT IN (
         SELECT id FROM sync_runs
          WHERE workspace_id = ${workspaceId}::uuid AND integration_id = ${integrationId}::uuid
          ORDER BY started_at DESC, id DESC LIMIT ${keep})`;
}
