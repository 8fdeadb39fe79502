import { type Database, queryRows, sql } from "@northstar/db";
import { sendSync } from "@northstar/db/queue";
import type { PgBoss } from "pg-boss";

// The dispatcher's tick (a pg-boss cron job, one at a time across workers): enqueue every
// integration whose next sync is due. app.due_integrations() is the one window onto every
// workspace the worker has: ids only, round-robin over workspaces, through the due index.
// Jobs already queued for an integration absorb the new one (stately queue, singletonKey).

const batch = 1_000;

export interface DueIntegration {
  workspaceId: string;
  integrationId: string;
}

/** Due integrations, as northstar_worker in a transaction of its own (no workspace context needed). */
export async function dueIntegrations(database: Database, limit: number): Promise<DueIntegration[]> {
  return queryRows(
    database.workerReader(),
    sql<DueIntegration>`SELECT workspace_id AS "workspaceId", integration_id AS "integrationId"
      FROM app.due_integrations(${limit})`,
  );
}

/**
 * Marks due integrations QUEUED, each workspace in its own context, so that their status says a
 * sync is coming. Before the jobs are sent: a run that started (SYNCING, leased) or already ended
 * is never set back. A row whose job then fails to send stays due, and the next tick sends it again.
 */
async function markQueued(database: Database, due: readonly DueIntegration[]): Promise<void> {
  const byWorkspace = new Map<string, string[]>();
  for (const { workspaceId, integrationId } of due)
    byWorkspace.set(workspaceId, [...(byWorkspace.get(workspaceId) ?? []), integrationId]);
  for (const [workspaceId, ids] of byWorkspace) {
    await database.withWorkerContext(
      workspaceId,
      (tx) =>
        tx.$executeRaw`
        UPDATE integrations SET sync_status = 'QUEUED', updated_at = now()
         WHERE workspace_id = ${workspaceId}::uuid AND id = ANY(${ids}::uuid[])
           AND sync_status IN ('IDLE', 'SUCCEEDED', 'FAILED') AND lease_token IS NULL`,
    );
  }
}

/** Enqueues the due integrations; returns how many were due and how many jobs were new. */
export async function dispatchDue(
  database: Database,
  boss: PgBoss,
  limit = batch,
): Promise<{ due: number; enqueued: number }> {
  const due = await dueIntegrations(database, limit);
  await markQueued(database, due);
  let enqueued = 0;
  for (const integration of due) {
    if ((await sendSync(boss, { ...integration, reason: "scheduled" })) !== null) enqueued++;
  }
  return { due: due.length, enqueued };
}
