import type { Jobs } from "@northstar/api";
import { createQueueClient, ensureQueues, sendSync } from "@northstar/db/queue";

// The API's Jobs port on the integration worker's queue (@northstar/db/queue): "sync now" sends a
// job for the integration; one already queued for it absorbs the new one. The sender connects
// with the host's login, which takes the queue role (northstar_queue) itself; it runs no
// maintenance and works no queue (the worker does both).

export type QueueSender = ReturnType<typeof createQueueClient>;

/** Jobs backed by a started sender. */
export function jobsFromQueue(sender: QueueSender): Jobs {
  return {
    async requestSync({ workspaceId, integrationId }) {
      await sendSync(sender, { workspaceId, integrationId, reason: "requested" });
    },
  };
}

export interface JobSender {
  jobs: Jobs;
  close(): Promise<void>;
}

/** Starts a sender on the database at `url` (pg-boss's tables are installed or migrated if needed). */
export async function startJobSender(url: string): Promise<JobSender> {
  const sender = createQueueClient({ url, poolSize: 2, applicationName: "northstar-web-jobs" });
  await sender.start();
  await ensureQueues(sender);
  return {
    jobs: jobsFromQueue(sender),
    close: () => sender.stop({ graceful: true, timeout: 5_000 }),
  };
}
