import type { Jobs } from "@northstar/api";
import { errorSummary, isConnectionLost } from "@northstar/db";
import { createQueueClient, ensureQueues, type SyncJob, sendSync } from "@northstar/db/queue";
import type { Logger } from "pino";

// The API's Jobs port on the integration worker's queue (@northstar/db/queue): "sync now" sends a
// job for the integration; one already queued for it absorbs the new one. The sender connects
// with the host's login, which takes the queue role (northstar_queue) itself; it runs no
// maintenance and works no queue (the worker does both).

export type QueueSender = ReturnType<typeof createQueueClient>;

/** Sends one sync job (sendSync on a started sender; a stand-in in unit tests). */
export type SendSync = (job: SyncJob) => Promise<unknown>;

/** A send that takes longer is given up (the dispatcher still finds the due row within a minute). */
export const defaultSendTimeoutMs = 2_000;

/**
 * Jobs backed by a send function. A send that fails on a lost connection (the database restarted,
 * or dropped the pool's idle connections before the pool noticed) is sent once more: the pool has
 * discarded that connection and opens a fresh one. A send that fails otherwise, or takes longer than
 * `sendTimeoutMs` in all, is logged, and the caller told.
 */
export function jobsFromQueue(send: SendSync, logger: Logger, sendTimeoutMs = defaultSendTimeoutMs): Jobs {
  const sendOnce = async (job: SyncJob) => {
    try {
      await send(job);
    } catch (error) {
      if (!isConnectionLost(error)) throw error;
      logger.info({ err: errorSummary(error) }, "job queue connection lost; sending again on a fresh one");
      await send(job);
    }
  };
  return {
    async requestSync({ workspaceId, integrationId }) {
      const timeout = AbortSignal.timeout(sendTimeoutMs);
      try {
        await Promise.race([
          sendOnce({ workspaceId, integrationId, reason: "requested" }),
          new Promise<never>((_resolve, reject) => {
            timeout.addEventListener("abort", () => {
              reject(new Error(`the job queue did not answer within ${sendTimeoutMs} ms`));
            });
          }),
        ]);
      } catch (error) {
        logger.warn(
          { workspaceId, integrationId, err: errorSummary(error) },
          "sync-now job not sent; the dispatcher will pick the integration up",
        );
        throw error;
      }
    },
  };
}

export interface JobSender {
  jobs: Jobs;
  close(): Promise<void>;
}

/** Starts a sender on the database at `url` (pg-boss's tables are installed or migrated if needed). */
export async function startJobSender(
  url: string,
  logger: Logger,
  options: { sendTimeoutMs?: number } = {},
): Promise<JobSender> {
  const sender = createQueueClient({ url, poolSize: 2, applicationName: "northstar-web-jobs" });
  // pg-boss re-emits its pool's errors (a dropped idle connection): without a listener the process
  // would end. Only the message and code: the error carries pg's client, settings and all.
  // pg-boss re-emits its pool's errors (a dropped idle connection): without a listener the process
  // would end.
  sender.on("error", (error: unknown) => {
    logger.warn({ err: errorSummary(error) }, "job queue connection error");
  });
  await sender.start();
  await ensureQueues(sender);
  return {
    jobs: jobsFromQueue((job) => sendSync(sender, job), logger, options.sendTimeoutMs),
    close: () => sender.stop({ graceful: true, timeout: 5_000 }),
  };
}
