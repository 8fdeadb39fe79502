import { createQueueClient, ensureQueues } from "@northstar/db/queue";
import { useTestDatabase } from "@northstar/db/testing/vitest";
import { expect, test } from "vitest";
import { dispatchDue } from "../src/dispatcher.ts";
import { createIntegration, createTenant, integrationState } from "./support.ts";

// The dispatcher's tick with no worker taking the jobs: what it marks and what it sends.

const context = useTestDatabase("worker");

test("due integrations show QUEUED once their jobs are sent; a running or future one keeps its status", async () => {
  const { admin, db } = context();
  const tenant = await createTenant(admin, 1);
  const other = await createTenant(admin, 1);
  const spec = (kpiId: string, nextSyncAt: Date) => ({
    provider: "http-json" as const,
    credentials: {},
    config: { url: "http://127.0.0.1:9/x", valuePath: "$.v" },
    metrics: { value: kpiId },
    nextSyncAt,
  });
  const past = new Date(Date.now() - 60_000);
  const due = await createIntegration(admin, tenant.workspaceId, spec(tenant.kpiIds[0] ?? "", past));
  const dueElsewhere = await createIntegration(admin, other.workspaceId, spec(other.kpiIds[0] ?? "", past));
  const future = await createIntegration(
    admin,
    tenant.workspaceId,
    spec(tenant.kpiIds[0] ?? "", new Date(Date.now() + 600_000)),
  );
  const running = await createIntegration(admin, tenant.workspaceId, spec(tenant.kpiIds[0] ?? "", past));
  // Its worker's lease ran out: due again, but until a worker claims it, its status is left alone.
  await admin.query(
    `UPDATE integrations
        SET sync_status = 'SYNCING', lease_token = gen_random_uuid(), lease_expires_at = now() - interval '1 second'
      WHERE id = $1`,
    [running],
  );

  const boss = createQueueClient({ url: context().database.workerUrl });
  await boss.start();
  try {
    await ensureQueues(boss);
    expect(await dispatchDue(db, boss)).toEqual({ due: 3, enqueued: 3 });
    expect((await integrationState(admin, due)).sync_status).toBe("QUEUED");
    expect((await integrationState(admin, dueElsewhere)).sync_status).toBe("QUEUED");
    expect((await integrationState(admin, future)).sync_status).toBe("IDLE");
    expect((await integrationState(admin, running)).sync_status).toBe("SYNCING");
    const { rows } = await admin.query<{ integration: string }>(
      "SELECT data->>'integrationId' AS integration FROM pgboss.job WHERE name = 'integration-sync' ORDER BY 1",
    );
    expect(rows.map((row) => row.integration)).toEqual([due, dueElsewhere, running].sort());
  } finally {
    await boss.stop({ graceful: false });
  }
});
